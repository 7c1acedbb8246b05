// model-handle: see model-handle.h.
#include "model/model-handle.h"

#include "errors.h"
#include "log-capture.h"
#include "model/gguf-check.h"
#include "taps/taps.h"

#include <sys/stat.h>

namespace {

bool load_progress(float /*progress*/, void * user_data) {
    const auto * cancel = static_cast<const std::atomic<bool> *>(user_data);
    return cancel == nullptr || !cancel->load();
}

std::string adapter_cache_key(const std::string & path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return path;
    return path + "|" + std::to_string((long long) st.st_size) + "|" + std::to_string((long long) st.st_mtime);
}

} // namespace

model_handle::model_handle() = default;

model_handle::~model_handle() {
    tap_ctxs.clear(); // the contexts refer to the adapters and the model
    adapters.clear();
    model.reset();
}

std::unique_ptr<model_handle> model_handle_load(const std::string & path, const model_load_params & params,
                                                const std::atomic<bool> * cancel) {
    const gguf_check_summary summary = gguf_check_file_model(path);

    llama_model_params mparams          = llama_model_default_params();
    mparams.n_gpu_layers                = params.n_gpu_layers;
    mparams.load_mode                   = params.use_mmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
    mparams.progress_callback           = load_progress;
    mparams.progress_callback_user_data = const_cast<std::atomic<bool> *>(cancel);

    log_capture capture;
    auto        handle = std::make_unique<model_handle>();
    handle->model.reset(llama_model_load_from_file(path.c_str(), mparams));
    if (!handle->model) {
        if (cancel != nullptr && cancel->load()) throw soo_error(SOO_ERROR_CANCELLED, "model loading was cancelled", path);
        throw soo_error(SOO_ERROR_BAD_INPUT, "llama.cpp could not load the model" + capture.suffix() + " (file: " + path + ")", path);
    }

    const llama_model * model = handle->model.get();
    char                desc[256];
    llama_model_desc(model, desc, sizeof(desc));
    model_info & info  = handle->info;
    info.path          = path;
    info.architecture  = summary.architecture;
    info.description   = desc;
    info.n_layer       = llama_model_n_layer(model);
    info.n_embd        = llama_model_n_embd(model);
    info.n_head        = llama_model_n_head(model);
    info.n_head_kv     = llama_model_n_head_kv(model);
    info.n_vocab       = llama_vocab_n_tokens(llama_model_get_vocab(model));
    info.n_ctx_train   = llama_model_n_ctx_train(model);
    info.n_params      = llama_model_n_params(model);
    info.size          = llama_model_size(model);
    return handle;
}

llama_adapter_lora * model_handle_adapter(model_handle & handle, const std::string & path) {
    const std::string key = adapter_cache_key(path);
    auto              it  = handle.adapters.find(key);
    if (it != handle.adapters.end()) return it->second.get();

    gguf_check_file_adapter(path, handle.info.architecture);

    log_capture            capture;
    llama_adapter_lora_ptr adapter(llama_adapter_lora_init(handle.model.get(), path.c_str()));
    if (!adapter) {
        throw soo_error(SOO_ERROR_BAD_INPUT,
                        "llama.cpp rejected the LoRA adapter" + capture.suffix() +
                            " (hint: adapter made for another model?) (file: " + path + ")",
                        path);
    }
    llama_adapter_lora * raw = adapter.get();
    handle.adapters.emplace(key, std::move(adapter));
    return raw;
}
