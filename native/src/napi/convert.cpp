// convert: see convert.h.
#include "napi/convert.h"

#include <cstring>

namespace {

[[noreturn]] void bad_field(Napi::Env env, const std::string & path, const std::string & expected) {
    throw convert_error(env, SOO_ERROR_BAD_INPUT, "taps options: " + path + " must be " + expected);
}

int64_t get_int(const Napi::Object & o, const char * key, const std::string & path, int64_t fallback, bool required = false) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) {
        if (required) bad_field(o.Env(), path + key, "given");
        return fallback;
    }
    if (!v.IsNumber()) bad_field(o.Env(), path + key, "an integer");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d != (double) (int64_t) d) bad_field(o.Env(), path + key, "an integer");
    return (int64_t) d;
}

bool get_bool(const Napi::Object & o, const char * key, bool fallback) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return fallback;
    if (!v.IsBoolean()) bad_field(o.Env(), key, "a boolean");
    return v.As<Napi::Boolean>().Value();
}

std::vector<llama_token> get_tokens(const Napi::Value & v, const std::string & path) {
    std::vector<llama_token> out;
    if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
        Napi::Int32Array a = v.As<Napi::Int32Array>();
        out.assign(a.Data(), a.Data() + a.ElementLength());
        return out;
    }
    if (!v.IsArray()) bad_field(v.Env(), path, "an Int32Array or an array of token ids");
    Napi::Array a = v.As<Napi::Array>();
    out.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value t = a.Get(i);
        if (!t.IsNumber()) bad_field(v.Env(), path + "[" + std::to_string(i) + "]", "a token id (integer)");
        out.push_back(t.As<Napi::Number>().Int32Value());
    }
    return out;
}

} // namespace

Napi::Error convert_error(Napi::Env env, soo_error_code code, const std::string & message, const std::string & file) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, soo_error_code_name(code)));
    if (!file.empty()) error.Set("file", Napi::String::New(env, file));
    return error;
}

taps_params convert_taps_params(const Napi::Object & o) {
    Napi::Env   env = o.Env();
    taps_params p;

    Napi::Value prompts = o.Get("prompts");
    if (!prompts.IsArray()) bad_field(env, "prompts", "an array of token arrays");
    Napi::Array pa = prompts.As<Napi::Array>();
    for (uint32_t i = 0; i < pa.Length(); ++i) p.prompts.push_back(get_tokens(pa.Get(i), "prompts[" + std::to_string(i) + "]"));

    Napi::Value taps = o.Get("taps");
    if (!taps.IsArray()) bad_field(env, "taps", "an array of {layer, point}");
    Napi::Array ta = taps.As<Napi::Array>();
    for (uint32_t i = 0; i < ta.Length(); ++i) {
        const std::string path = "taps[" + std::to_string(i) + "].";
        Napi::Value       v    = ta.Get(i);
        if (!v.IsObject()) bad_field(env, "taps[" + std::to_string(i) + "]", "an object {layer, point}");
        Napi::Object t     = v.As<Napi::Object>();
        tap_request  r;
        r.layer            = (int32_t) get_int(t, "layer", path, 0, true);
        Napi::Value point  = t.Get("point");
        if (!point.IsString() || !tap_point_from_name(point.As<Napi::String>().Utf8Value(), r.point)) {
            bad_field(env, path + "point", "one of attn_out, mlp_out, resid, kqv_out");
        }
        p.requests.push_back(r);
    }

    Napi::Value adapters = o.Get("adapters");
    if (!adapters.IsUndefined() && !adapters.IsNull()) {
        if (!adapters.IsArray()) bad_field(env, "adapters", "an array of {path, scale}");
        Napi::Array aa = adapters.As<Napi::Array>();
        for (uint32_t i = 0; i < aa.Length(); ++i) {
            const std::string path = "adapters[" + std::to_string(i) + "]";
            Napi::Value       v    = aa.Get(i);
            if (!v.IsObject()) bad_field(env, path, "an object {path, scale}");
            Napi::Object a     = v.As<Napi::Object>();
            Napi::Value  file  = a.Get("path");
            Napi::Value  scale = a.Get("scale");
            if (!file.IsString()) bad_field(env, path + ".path", "a string");
            if (!scale.IsUndefined() && !scale.IsNumber()) bad_field(env, path + ".scale", "a number");
            p.adapters.emplace_back(file.As<Napi::String>().Utf8Value(),
                                    scale.IsUndefined() ? 1.0f : scale.As<Napi::Number>().FloatValue());
        }
    }

    p.n_threads  = (int32_t) get_int(o, "threads", "", 0, true);
    p.n_ubatch   = (uint32_t) get_int(o, "ubatch", "", 512);
    p.n_ctx      = (uint32_t) get_int(o, "contextSize", "", 0);
    p.n_seq_max  = (uint32_t) get_int(o, "maxSequences", "", 64);
    p.flash_attn = get_bool(o, "flashAttention", false);
    p.stop_early = get_bool(o, "stopEarly", true);
    Napi::Value kv = o.Get("kvType");
    if (!kv.IsUndefined() && !kv.IsNull()) {
        const std::string s = kv.IsString() ? kv.As<Napi::String>().Utf8Value() : "";
        if (s == "f32") p.type_kv = GGML_TYPE_F32;
        else if (s == "f16") p.type_kv = GGML_TYPE_F16;
        else bad_field(env, "kvType", "'f32' or 'f16'");
    }
    return p;
}

Napi::Object convert_taps_result(Napi::Env env, const taps_result & r) {
    Napi::Object out         = Napi::Object::New(env);
    Napi::Array  activations = Napi::Array::New(env, r.activations.size());
    for (size_t i = 0; i < r.activations.size(); ++i) {
        Napi::Array per_request = Napi::Array::New(env, r.activations[i].size());
        for (size_t j = 0; j < r.activations[i].size(); ++j) {
            const std::vector<float> & data = r.activations[i][j];
            // copied, not external: Electron's V8 memory cage forbids external ArrayBuffers
            Napi::Float32Array a = Napi::Float32Array::New(env, data.size());
            if (!data.empty()) std::memcpy(a.Data(), data.data(), data.size() * sizeof(float));
            per_request.Set((uint32_t) j, a);
        }
        activations.Set((uint32_t) i, per_request);
    }
    Napi::Array n_tokens = Napi::Array::New(env, r.n_tokens.size());
    for (size_t i = 0; i < r.n_tokens.size(); ++i) n_tokens.Set((uint32_t) i, r.n_tokens[i]);
    Napi::Array widths = Napi::Array::New(env, r.widths.size());
    for (size_t i = 0; i < r.widths.size(); ++i) widths.Set((uint32_t) i, r.widths[i]);

    out.Set("activations", activations);
    out.Set("nTokens", n_tokens);
    out.Set("widths", widths);
    out.Set("nEmbd", r.n_embd);
    out.Set("decodeMs", r.decode_ms);
    out.Set("totalMs", r.total_ms);
    out.Set("nDecodes", r.n_decodes);
    out.Set("stoppedEarly", r.stopped_early);
    return out;
}

Napi::Object convert_model_info(Napi::Env env, const model_info & info) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("path", info.path);
    o.Set("architecture", info.architecture);
    o.Set("description", info.description);
    o.Set("nLayer", info.n_layer);
    o.Set("nEmbd", info.n_embd);
    o.Set("nHead", info.n_head);
    o.Set("nHeadKv", info.n_head_kv);
    o.Set("nVocab", info.n_vocab);
    o.Set("nCtxTrain", info.n_ctx_train);
    o.Set("nParams", (double) info.n_params);
    o.Set("size", (double) info.size);
    return o;
}

Napi::Object convert_gguf_summary(Napi::Env env, const gguf_check_summary & s) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("path", s.path);
    o.Set("version", s.version);
    o.Set("architecture", s.architecture);
    o.Set("type", s.type);
    o.Set("nTensors", (double) s.n_tensors);
    o.Set("nKv", (double) s.n_kv);
    o.Set("fileSize", (double) s.file_size);
    return o;
}
