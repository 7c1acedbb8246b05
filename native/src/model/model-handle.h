// model-handle: one loaded GGUF model, its cached LoRA adapters and its cached tap context.
//
// model_handle_load validates the file first (gguf-check.h), then calls llama_model_load_from_file with
// no warm-up decode. Everything the handle owns is freed by its destructor, in one place: the tap
// context, then the adapters, then the model.
//
// Not thread-safe: the engine process runs one job at a time on a handle.
#pragma once

#include "llama-cpp.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct model_load_params {
    int32_t n_gpu_layers = 0;     // layers offloaded to a GPU backend; 0 on a CPU build
    bool    use_mmap     = true;
};

struct model_info {
    std::string path;
    std::string architecture;     // general.architecture, e.g. "llama"
    std::string description;      // llama_model_desc, e.g. "llama 7B Q8_0"
    int32_t     n_layer   = 0;
    int32_t     n_embd    = 0;
    int32_t     n_head    = 0;
    int32_t     n_head_kv = 0;
    int32_t     n_vocab   = 0;
    int32_t     n_ctx_train = 0;
    uint64_t    n_params  = 0;
    uint64_t    size      = 0;    // bytes of tensor data
};

// Parameters a tap context is created with; a change recreates the context.
struct tap_context_key {
    uint32_t  n_ctx     = 0;      // unified KV cells shared by all sequences of one pack
    uint32_t  n_ubatch  = 0;      // tokens per decode (n_batch = n_ubatch: one graph per llama_decode)
    uint32_t  n_seq_max = 0;
    int32_t   n_threads = 0;
    ggml_type type_kv   = GGML_TYPE_F32;
    bool      flash_attn = false;

    bool operator==(const tap_context_key & o) const {
        return n_ctx == o.n_ctx && n_ubatch == o.n_ubatch && n_seq_max == o.n_seq_max && n_threads == o.n_threads &&
               type_kv == o.type_kv && flash_attn == o.flash_attn;
    }
};

constexpr size_t MODEL_HANDLE_MAX_TAP_CONTEXTS = 2;

struct tap_state; // taps/taps.cpp: what the eval callback fills during one decode

struct model_handle {
    llama_model_ptr model;
    model_info      info;

    // adapters by "<path>|<size>|<mtime>" so that a rewritten file is reloaded, never served stale
    std::map<std::string, llama_adapter_lora_ptr> adapters;

    // tap contexts are kept between calls (creating one allocates the KV cache and reserves graphs): the
    // most recently used last, at most MODEL_HANDLE_MAX_TAP_CONTEXTS, so callers alternating two settings
    // (exact F32 KV vs F16 + flash attention) do not recreate one per call
    std::vector<std::pair<tap_context_key, llama_context_ptr>> tap_ctxs;
    std::unique_ptr<tap_state> tap;       // address handed to cb_eval as user data; outlives tap_ctxs

    std::atomic<bool> cancel_requested{ false };

    model_handle();
    ~model_handle();
};

// Validates then loads. Throws soo_error (bad_input with the file for invalid files).
std::unique_ptr<model_handle> model_handle_load(const std::string & path, const model_load_params & params,
                                                const std::atomic<bool> * cancel = nullptr);

// Validates (gguf_check_file_adapter) and loads a LoRA adapter for this model, or returns the cached one.
llama_adapter_lora * model_handle_adapter(model_handle & handle, const std::string & path);
