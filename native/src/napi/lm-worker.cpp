// lm-worker: see lm-worker.h.
#include "napi/lm-worker.h"

#include "errors.h"
#include "lm/lm-trainer.h"
#include "napi/convert.h"

#include <atomic>
#include <climits>
#include <cmath>
#include <memory>

namespace {

[[noreturn]] void bad_field(Napi::Env env, const std::string & path, const std::string & expected) {
    throw convert_error(env, SOO_ERROR_BAD_INPUT, "trainLm options: " + path + " must be " + expected);
}

double get_number(const Napi::Object & o, const char * key, double fallback, bool required = false) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) {
        if (required) bad_field(o.Env(), key, "given");
        return fallback;
    }
    if (!v.IsNumber()) bad_field(o.Env(), key, "a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) bad_field(o.Env(), key, "a finite number");
    return d;
}

int64_t get_int(const Napi::Object & o, const char * key, int64_t fallback, bool required = false) {
    const double d = get_number(o, key, (double) fallback, required);
    if (d != std::floor(d) || std::fabs(d) > 9.0e15) bad_field(o.Env(), key, "an integer");
    return (int64_t) d;
}

std::string get_string(const Napi::Object & o, const char * key, bool required) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) {
        if (required) bad_field(o.Env(), key, "given");
        return "";
    }
    if (!v.IsString()) bad_field(o.Env(), key, "a string");
    return v.As<Napi::String>().Utf8Value();
}

std::vector<int32_t> get_tokens(const Napi::Value & v, const std::string & path) {
    if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
        Napi::Int32Array a = v.As<Napi::Int32Array>();
        return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
    }
    if (!v.IsArray()) bad_field(v.Env(), path, "an Int32Array or an array of token ids");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<int32_t> out;
    for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value t = a.Get(i);
        if (!t.IsNumber()) bad_field(v.Env(), path + "[" + std::to_string(i) + "]", "a token id (integer)");
        const double d = t.As<Napi::Number>().DoubleValue();
        if (d != std::floor(d) || d < INT32_MIN || d > INT32_MAX) bad_field(v.Env(), path + "[" + std::to_string(i) + "]", "a token id (integer)");
        out.push_back((int32_t) d);
    }
    return out;
}

std::vector<float> get_weights(const Napi::Value & v, const std::string & path) {
    if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
        Napi::Float32Array a = v.As<Napi::Float32Array>();
        return std::vector<float>(a.Data(), a.Data() + a.ElementLength());
    }
    if (!v.IsArray()) bad_field(v.Env(), path, "a Float32Array or an array of numbers");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<float> out;
    for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value t = a.Get(i);
        if (!t.IsNumber()) bad_field(v.Env(), path + "[" + std::to_string(i) + "]", "a number");
        out.push_back((float) t.As<Napi::Number>().DoubleValue());
    }
    return out;
}

lm_train_params convert_params(const Napi::Object & o, std::vector<lm_sequence> & seqs, std::string & out_path) {
    Napi::Env env = o.Env();
    lm_train_params p;
    p.model_path   = get_string(o, "modelPath", true);
    out_path       = get_string(o, "outPath", true);
    p.steps        = get_int(o, "steps", 0, true);
    p.batch        = get_int(o, "batch", 0, true);
    p.lr           = (float) get_number(o, "lr", 0, true);
    p.n_threads    = (int) get_int(o, "threads", 0, true);
    const int64_t seed = get_int(o, "seed", 0, true);
    if (seed < 0) bad_field(env, "seed", "a non-negative integer");
    p.seed         = (uint64_t) seed;
    p.lr_min       = (float) get_number(o, "lrMin", p.lr_min);
    p.warmup       = get_int(o, "warmup", p.warmup);
    p.weight_decay = (float) get_number(o, "weightDecay", p.weight_decay);
    p.beta1        = (float) get_number(o, "beta1", p.beta1);
    p.beta2        = (float) get_number(o, "beta2", p.beta2);
    p.eps          = (float) get_number(o, "eps", p.eps);
    p.grad_clip    = (float) get_number(o, "gradClip", p.grad_clip);
    p.length_buckets = get_int(o, "lengthBuckets", p.length_buckets);
    if (p.length_buckets < 0) bad_field(env, "lengthBuckets", "a non-negative integer (0 = off)");
    if (out_path.empty()) bad_field(env, "outPath", "a non-empty path");

    Napi::Value frozen = o.Get("frozen");
    if (!frozen.IsUndefined() && !frozen.IsNull()) {
        if (!frozen.IsArray()) bad_field(env, "frozen", "an array of tensor names");
        Napi::Array fa = frozen.As<Napi::Array>();
        p.frozen.clear();
        for (uint32_t i = 0; i < fa.Length(); ++i) {
            if (!fa.Get(i).IsString()) bad_field(env, "frozen[" + std::to_string(i) + "]", "a string");
            p.frozen.push_back(fa.Get(i).As<Napi::String>().Utf8Value());
        }
    }
    Napi::Value meta = o.Get("metadata");
    if (!meta.IsUndefined() && !meta.IsNull()) {
        if (!meta.IsObject() || meta.IsArray()) bad_field(env, "metadata", "an object of string values");
        Napi::Object mo = meta.As<Napi::Object>();
        Napi::Array keys = mo.GetPropertyNames();
        for (uint32_t i = 0; i < keys.Length(); ++i) {
            const std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
            if (!mo.Get(k).IsString()) bad_field(env, "metadata." + k, "a string");
            if (k.empty() || k.rfind("general.", 0) == 0) bad_field(env, "metadata." + k, "a key outside general.* (e.g. soo_lab.demo.recipe)");
            p.metadata[k] = mo.Get(k).As<Napi::String>().Utf8Value();
        }
    }
    Napi::Value sv = o.Get("sequences");
    if (!sv.IsArray()) bad_field(env, "sequences", "an array of {tokens, weights}");
    Napi::Array sa = sv.As<Napi::Array>();
    for (uint32_t i = 0; i < sa.Length(); ++i) {
        const std::string path = "sequences[" + std::to_string(i) + "]";
        if (!sa.Get(i).IsObject()) bad_field(env, path, "an object {tokens, weights}");
        Napi::Object so = sa.Get(i).As<Napi::Object>();
        seqs.push_back({ get_tokens(so.Get("tokens"), path + ".tokens"), get_weights(so.Get("weights"), path + ".weights") });
    }
    return p;
}

class LmWorker : public Napi::AsyncProgressQueueWorker<lm_train_progress> {
  public:
    LmWorker(Napi::Env env, lm_train_params params, std::vector<lm_sequence> seqs, std::string out_path,
             std::shared_ptr<std::atomic<bool>> cancel, Napi::Function on_progress)
        : Napi::AsyncProgressQueueWorker<lm_train_progress>(env, "soo_native.trainLm"),
          deferred_(Napi::Promise::Deferred::New(env)), params_(std::move(params)), seqs_(std::move(seqs)),
          out_path_(std::move(out_path)), cancel_(std::move(cancel)) {
        if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    }

    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        try {
            auto tr = lm_trainer_init(params_, std::move(seqs_));
            result_ = lm_trainer_run(*tr, [&](const lm_train_progress & p) { progress.Send(&p, 1); }, cancel_.get());
            if (result_.cancelled) throw soo_error(SOO_ERROR_CANCELLED, "trainLm cancelled after step " + std::to_string(result_.steps));
            lm_trainer_save(*tr, out_path_);
        } catch (const soo_error & e) {
            code_ = e.code;
            file_ = e.file;
            SetError(*e.what() ? e.what() : "unknown error");
        } catch (const std::bad_alloc &) {
            SetError("out of memory");
        } catch (const std::exception & e) {
            SetError(*e.what() ? e.what() : "unknown error");
        }
    }

    void OnProgress(const lm_train_progress * data, size_t count) override {
        if (on_progress_.IsEmpty()) return;
        Napi::Env env = Env();
        for (size_t i = 0; i < count; ++i) {
            const lm_train_progress & p = data[i];
            Napi::Object o = Napi::Object::New(env);
            o.Set("step", (double) p.step);
            o.Set("nSteps", (double) p.n_steps);
            o.Set("loss", p.loss);
            o.Set("lr", p.lr);
            o.Set("stepMs", p.step_ms);
            o.Set("tokensPerS", p.tokens_per_s);
            on_progress_.Call({ o });
        }
    }

    void OnOK() override {
        Napi::Env env = Env();
        Napi::Object out = Napi::Object::New(env);
        Napi::Float32Array losses = Napi::Float32Array::New(env, result_.losses.size());
        for (size_t i = 0; i < result_.losses.size(); ++i) losses[i] = result_.losses[i];
        out.Set("steps", (double) result_.steps);
        out.Set("losses", losses);
        out.Set("outPath", out_path_);
        deferred_.Resolve(out);
    }

    void OnError(const Napi::Error & e) override {
        deferred_.Reject(convert_error(Env(), code_, e.Message(), file_).Value());
    }

  private:
    Napi::Promise::Deferred            deferred_;
    lm_train_params                    params_;
    std::vector<lm_sequence>           seqs_;
    std::string                        out_path_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    Napi::FunctionReference            on_progress_;
    lm_train_result                    result_;
    soo_error_code                     code_ = SOO_ERROR_INTERNAL;
    std::string                        file_;
};

} // namespace

Napi::Value train_lm(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw convert_error(env, SOO_ERROR_BAD_INPUT, "trainLm(options, onProgress?): options must be an object");
    Napi::Function on_progress;
    if (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull()) {
        if (!info[1].IsFunction()) throw convert_error(env, SOO_ERROR_BAD_INPUT, "trainLm(options, onProgress?): onProgress must be a function");
        on_progress = info[1].As<Napi::Function>();
    }
    std::vector<lm_sequence> seqs;
    std::string out_path;
    lm_train_params params = convert_params(info[0].As<Napi::Object>(), seqs, out_path);
    params.out_path = out_path;
    convert_call(env, [&] { lm_trainer_validate(params, seqs); }); // the cheap checks throw here, synchronously

    auto cancel = std::make_shared<std::atomic<bool>>(false);
    auto * worker = new LmWorker(env, std::move(params), std::move(seqs), out_path, cancel, on_progress); // freed by node-addon-api
    Napi::Object job = Napi::Object::New(env);
    job.Set("promise", worker->promise());
    auto * flag = new std::shared_ptr<std::atomic<bool>>(cancel);
    Napi::Function cancel_fn = Napi::Function::New(env, [](const Napi::CallbackInfo & ci) {
        (*static_cast<std::shared_ptr<std::atomic<bool>> *>(ci.Data()))->store(true);
    }, "cancel", flag);
    cancel_fn.AddFinalizer([](Napi::Env, std::shared_ptr<std::atomic<bool>> * f) { delete f; }, flag);
    job.Set("cancel", cancel_fn);
    worker->Queue();
    return job;
}
