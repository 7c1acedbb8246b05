// soo_native: module init only. The JS surface is typed in native/index.d.ts.
//   loadModel(path, options?)        -> Promise<NativeModel>          (napi/workers.cpp, napi/model-wrap.cpp)
//   inspectGguf(path, options?)      -> GgufSummary (validation only)  (model/gguf-check.cpp)
//   supportedArchitectures()         -> string[]
//   systemInfo()                     -> string (llama.cpp build features)
//   trainSoo(options, onProgress?) -> {promise, cancel}               (napi/train-worker.cpp)
//   trainLm(options, onProgress?)  -> {promise, cancel}               (napi/lm-worker.cpp)
//   debugAbort(message?)             -> never: aborts the process (test-only proof of engine isolation)
#include "errors.h"
#include "log-capture.h"
#include "model/gguf-check.h"
#include "napi/convert.h"
#include "napi/model-wrap.h"
#include "napi/lm-worker.h"
#include "napi/train-worker.h"
#include "napi/workers.h"

#include "llama.h"

#include <napi.h>

#include <cstdio>
#include <cstdlib>

namespace {

Napi::Value load_model(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw convert_error(env, SOO_ERROR_BAD_INPUT, "loadModel: path must be a string");
    model_load_params params;
    if (info.Length() > 1 && info[1].IsObject()) {
        Napi::Object o = info[1].As<Napi::Object>();
        if (o.Get("gpuLayers").IsNumber()) params.n_gpu_layers = o.Get("gpuLayers").As<Napi::Number>().Int32Value();
        if (o.Get("useMmap").IsBoolean()) params.use_mmap = o.Get("useMmap").As<Napi::Boolean>().Value();
    }
    return load_worker_start(env, info[0].As<Napi::String>().Utf8Value(), params);
}

// inspectGguf(path, {kind: 'any' | 'model' | 'adapter', baseArchitecture?})
Napi::Value inspect_gguf(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw convert_error(env, SOO_ERROR_BAD_INPUT, "inspectGguf: path must be a string");
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    std::string       kind = "any", base_arch;
    if (info.Length() > 1 && info[1].IsObject()) {
        Napi::Object o = info[1].As<Napi::Object>();
        if (o.Get("kind").IsString()) kind = o.Get("kind").As<Napi::String>().Utf8Value();
        if (o.Get("baseArchitecture").IsString()) base_arch = o.Get("baseArchitecture").As<Napi::String>().Utf8Value();
    }
    return convert_call(env, [&] {
        if (kind == "model") return convert_gguf_summary(env, gguf_check_file_model(path));
        if (kind == "adapter") return convert_gguf_summary(env, gguf_check_file_adapter(path, base_arch));
        return convert_gguf_summary(env, gguf_check_file(path));
    });
}

Napi::Value supported_architectures(const Napi::CallbackInfo & info) {
    const auto & archs = gguf_check_supported_architectures();
    Napi::Array  out   = Napi::Array::New(info.Env(), archs.size());
    for (size_t i = 0; i < archs.size(); ++i) out.Set((uint32_t) i, archs[i]);
    return out;
}

Napi::Value system_info(const Napi::CallbackInfo & info) {
    return Napi::String::New(info.Env(), llama_print_system_info());
}

Napi::Value debug_abort(const Napi::CallbackInfo & info) {
    const std::string message = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "debug abort";
    fprintf(stderr, "soo_native: %s\n", message.c_str());
    fflush(stderr);
    std::abort();
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
    log_capture_install();
    llama_backend_init();
    exports.Set("NativeModel", ModelWrap::define_class(env));
    exports.Set("loadModel", Napi::Function::New<load_model>(env, "loadModel"));
    exports.Set("inspectGguf", Napi::Function::New<inspect_gguf>(env, "inspectGguf"));
    exports.Set("supportedArchitectures", Napi::Function::New<supported_architectures>(env, "supportedArchitectures"));
    exports.Set("systemInfo", Napi::Function::New<system_info>(env, "systemInfo"));
    exports.Set("trainSoo", Napi::Function::New<train_soo>(env, "trainSoo"));
    exports.Set("trainLm", Napi::Function::New<train_lm>(env, "trainLm"));
    exports.Set("debugAbort", Napi::Function::New<debug_abort>(env, "debugAbort"));
    return exports;
}

} // namespace

NODE_API_MODULE(soo_native, init)
