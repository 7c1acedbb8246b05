// model-wrap: see model-wrap.h.
#include "napi/model-wrap.h"

#include "errors.h"
#include "napi/convert.h"
#include "napi/workers.h"

#include "llama.h"

namespace {

struct addon_data {
    Napi::FunctionReference model_ctor;
};

} // namespace

Napi::Function ModelWrap::define_class(Napi::Env env) {
    Napi::Function ctor = DefineClass(env, "NativeModel",
                                      {
                                          InstanceMethod<&ModelWrap::info>("info"),
                                          InstanceMethod<&ModelWrap::tokenize>("tokenize"),
                                          InstanceMethod<&ModelWrap::taps>("taps"),
                                          InstanceMethod<&ModelWrap::cancel>("cancel"),
                                          InstanceMethod<&ModelWrap::dispose>("dispose"),
                                      });
    auto * data       = new addon_data();
    data->model_ctor  = Napi::Persistent(ctor);
    env.SetInstanceData<addon_data>(data); // freed by node-addon-api when the env goes away
    return ctor;
}

Napi::Object ModelWrap::create(Napi::Env env, std::unique_ptr<model_handle> handle) {
    auto * data = env.GetInstanceData<addon_data>();
    return data->model_ctor.New({ Napi::External<model_handle>::New(env, handle.release()) });
}

ModelWrap::ModelWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ModelWrap>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
        throw convert_error(info.Env(), SOO_ERROR_BAD_INPUT, "NativeModel cannot be constructed directly: use loadModel(path)");
    }
    handle_.reset(info[0].As<Napi::External<model_handle>>().Data());
}

model_handle & ModelWrap::handle() {
    if (!handle_) throw convert_error(Env(), SOO_ERROR_BAD_INPUT, "the model was disposed");
    return *handle_;
}

Napi::Value ModelWrap::info(const Napi::CallbackInfo & info) {
    return convert_model_info(info.Env(), handle().info);
}

// tokenize(text, addSpecial = true, parseSpecial = true) -> Int32Array
Napi::Value ModelWrap::tokenize(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw convert_error(env, SOO_ERROR_BAD_INPUT, "tokenize: text must be a string");
    const std::string text          = info[0].As<Napi::String>().Utf8Value();
    const bool        add_special   = info.Length() < 2 || info[1].IsUndefined() || info[1].ToBoolean().Value();
    const bool        parse_special = info.Length() < 3 || info[2].IsUndefined() || info[2].ToBoolean().Value();
    const llama_vocab * vocab       = llama_model_get_vocab(handle().model.get());

    std::vector<llama_token> tokens(text.size() + 8);
    int32_t n = llama_tokenize(vocab, text.data(), (int32_t) text.size(), tokens.data(), (int32_t) tokens.size(), add_special, parse_special);
    if (n < 0) {
        tokens.resize((size_t) -n);
        n = llama_tokenize(vocab, text.data(), (int32_t) text.size(), tokens.data(), (int32_t) tokens.size(), add_special, parse_special);
    }
    if (n < 0) throw convert_error(env, SOO_ERROR_INTERNAL, "tokenize failed (code " + std::to_string(n) + ")");
    Napi::Int32Array out = Napi::Int32Array::New(env, (size_t) n);
    std::copy(tokens.begin(), tokens.begin() + n, out.Data());
    return out;
}

// taps(options, onProgress?) -> Promise<NativeTapsResult>
Napi::Value ModelWrap::taps(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw convert_error(env, SOO_ERROR_BAD_INPUT, "taps: options must be an object");
    handle();
    if (busy_) throw convert_error(env, SOO_ERROR_BAD_INPUT, "the model is already running a job: one at a time");
    taps_params    params      = convert_taps_params(info[0].As<Napi::Object>());
    Napi::Function on_progress = info.Length() > 1 && info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function();
    busy_ = true;
    return taps_worker_start(env, this, info.This().As<Napi::Object>(), std::move(params), on_progress);
}

Napi::Value ModelWrap::cancel(const Napi::CallbackInfo & info) {
    if (handle_) handle_->cancel_requested = true;
    return info.Env().Undefined();
}

Napi::Value ModelWrap::dispose(const Napi::CallbackInfo & info) {
    if (busy_) throw convert_error(info.Env(), SOO_ERROR_BAD_INPUT, "cannot dispose the model while a job runs: cancel it first");
    handle_.reset();
    return info.Env().Undefined();
}
