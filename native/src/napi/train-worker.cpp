// train-worker: see train-worker.h.
#include "napi/train-worker.h"

#include "errors.h"
#include "train/soo-trainer.h"

#include <atomic>
#include <cstdio>
#include <memory>

namespace {

Napi::Error make_error(Napi::Env env, soo_error_code code, const std::string & message, const std::string & file = "") {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, soo_error_code_name(code)));
    if (!file.empty()) error.Set("file", Napi::String::New(env, file));
    return error;
}

[[noreturn]] void bad_field(Napi::Env env, const std::string & path, const std::string & expected) {
    throw make_error(env, SOO_ERROR_BAD_INPUT, "trainSoo options: " + path + " must be " + expected);
}

double get_number(const Napi::Object & o, const char * key, double fallback, bool required = false) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) {
        if (required) bad_field(o.Env(), key, "given");
        return fallback;
    }
    if (!v.IsNumber()) bad_field(o.Env(), key, "a number");
    return v.As<Napi::Number>().DoubleValue();
}

int64_t get_int(const Napi::Object & o, const char * key, int64_t fallback, bool required = false) {
    const double d = get_number(o, key, (double) fallback, required);
    if (d != (double) (int64_t) d) bad_field(o.Env(), key, "an integer");
    return (int64_t) d;
}

std::string get_string(const Napi::Object & o, const char * key, const std::string & fallback, bool required = false) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) {
        if (required) bad_field(o.Env(), key, "given");
        return fallback;
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
        out.push_back(t.As<Napi::Number>().Int32Value());
    }
    return out;
}

soo_train_params convert_train_params(const Napi::Object & o, std::vector<soo_pair> & pairs, std::string & out_path) {
    Napi::Env env = o.Env();
    soo_train_params p;
    p.model_path = get_string(o, "modelPath", "", true);
    out_path     = get_string(o, "outPath", "", true);
    p.layer      = (int) get_int(o, "layer", 0, true);
    p.n_threads  = (int) get_int(o, "threads", 0, true);
    p.rank       = get_int(o, "rank", p.rank);
    p.alpha      = (float) get_number(o, "alpha", p.alpha);
    p.dropout    = (float) get_number(o, "dropout", p.dropout);
    p.self_anchor = (float) get_number(o, "selfAnchor", p.self_anchor);
    p.epochs     = (int) get_int(o, "epochs", p.epochs);
    p.batch      = (int) get_int(o, "batch", p.batch);
    const int64_t seed = get_int(o, "seed", 0);
    if (seed < 0) bad_field(env, "seed", "a non-negative integer");
    p.seed                   = (uint64_t) seed;
    p.optimizer.lr           = (float) get_number(o, "lr", p.optimizer.lr);
    p.optimizer.beta1        = (float) get_number(o, "beta1", p.optimizer.beta1);
    p.optimizer.beta2        = (float) get_number(o, "beta2", p.optimizer.beta2);
    p.optimizer.eps          = (float) get_number(o, "eps", p.optimizer.eps);
    p.optimizer.weight_decay = (float) get_number(o, "weightDecay", p.optimizer.weight_decay);
    p.checkpoint_path        = get_string(o, "checkpointPath", "");
    p.checkpoint_every       = (int) get_int(o, "checkpointEvery", 0);
    p.resume_from            = get_string(o, "resumeFrom", "");
    const std::string positions = get_string(o, "positions", "full");
    if (positions != "full" && positions != "last" && positions != "mean") bad_field(env, "positions", "one of full, last, mean");
    p.positions = soo_positions_from_name(positions);
    const std::string point = get_string(o, "point", "attn_out");
    if (point != "attn_out" && point != "mlp_out" && point != "resid") bad_field(env, "point", "one of attn_out, mlp_out, resid");
    p.point = soo_point_from_name(point);

    Napi::Value fast = o.Get("fastBackward");
    if (!fast.IsUndefined() && !fast.IsNull()) {
        if (!fast.IsBoolean()) bad_field(env, "fastBackward", "a boolean");
        p.fast_backward = fast.As<Napi::Boolean>().Value();
    }
    Napi::Value targets = o.Get("targets");
    if (!targets.IsUndefined() && !targets.IsNull()) {
        if (!targets.IsArray()) bad_field(env, "targets", "an array of strings (attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down)");
        Napi::Array ta = targets.As<Napi::Array>();
        p.targets.clear();
        for (uint32_t i = 0; i < ta.Length(); ++i) {
            if (!ta.Get(i).IsString()) bad_field(env, "targets[" + std::to_string(i) + "]", "a string");
            p.targets.push_back(ta.Get(i).As<Napi::String>().Utf8Value());
        }
    }
    Napi::Value pv = o.Get("pairs");
    if (!pv.IsArray()) bad_field(env, "pairs", "an array of {self, other} token arrays");
    Napi::Array pa = pv.As<Napi::Array>();
    for (uint32_t i = 0; i < pa.Length(); ++i) {
        const std::string path = "pairs[" + std::to_string(i) + "]";
        if (!pa.Get(i).IsObject()) bad_field(env, path, "an object {self, other}");
        Napi::Object po = pa.Get(i).As<Napi::Object>();
        pairs.push_back({ get_tokens(po.Get("self"), path + ".self"), get_tokens(po.Get("other"), path + ".other") });
    }
    return p;
}

class TrainWorker : public Napi::AsyncProgressQueueWorker<soo_train_progress> {
  public:
    TrainWorker(Napi::Env env, soo_train_params params, std::vector<soo_pair> pairs, std::string out_path,
                std::shared_ptr<std::atomic<bool>> cancel, Napi::Function on_progress)
        : Napi::AsyncProgressQueueWorker<soo_train_progress>(env, "soo_native.trainSoo"),
          deferred_(Napi::Promise::Deferred::New(env)), params_(std::move(params)), pairs_(std::move(pairs)),
          out_path_(std::move(out_path)), cancel_(std::move(cancel)) {
        if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    }

    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        try {
            params_.log = [](const std::string & line) { fprintf(stderr, "%s\n", line.c_str()); };
            auto tr = soo_trainer_init(params_, pairs_);
            result_ = soo_trainer_run(*tr, [&](const soo_train_progress & p) { progress.Send(&p, 1); }, cancel_.get());
            if (result_.cancelled) {
                if (!params_.checkpoint_path.empty()) soo_trainer_save_checkpoint(*tr, params_.checkpoint_path);
                throw soo_error(SOO_ERROR_CANCELLED, "training cancelled after step " + std::to_string(result_.steps) +
                                (params_.checkpoint_path.empty() ? "" : " (checkpoint written to " + params_.checkpoint_path + ")"));
            }
            soo_trainer_save_adapter(*tr, out_path_);
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

    void OnProgress(const soo_train_progress * data, size_t count) override {
        if (on_progress_.IsEmpty()) return;
        Napi::Env env = Env();
        for (size_t i = 0; i < count; ++i) {
            const soo_train_progress & p = data[i];
            Napi::Object o = Napi::Object::New(env);
            o.Set("step", (double) p.step);
            o.Set("nSteps", (double) p.n_steps);
            o.Set("epoch", p.epoch);
            o.Set("loss", p.loss);
            o.Set("anchor", p.anchor);
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
        out.Set("adapterPath", out_path_);
        deferred_.Resolve(out);
    }

    void OnError(const Napi::Error & e) override {
        deferred_.Reject(make_error(Env(), code_, e.Message(), file_).Value());
    }

  private:
    Napi::Promise::Deferred            deferred_;
    soo_train_params                   params_;
    std::vector<soo_pair>              pairs_;
    std::string                        out_path_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    Napi::FunctionReference            on_progress_;
    soo_train_result                   result_;
    soo_error_code                     code_ = SOO_ERROR_INTERNAL;
    std::string                        file_;
};

} // namespace

Napi::Value train_soo(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw make_error(env, SOO_ERROR_BAD_INPUT, "trainSoo(options, onProgress?): options must be an object");
    Napi::Function on_progress;
    if (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull()) {
        if (!info[1].IsFunction()) throw make_error(env, SOO_ERROR_BAD_INPUT, "trainSoo(options, onProgress?): onProgress must be a function");
        on_progress = info[1].As<Napi::Function>();
    }
    std::vector<soo_pair> pairs;
    std::string out_path;
    soo_train_params params = convert_train_params(info[0].As<Napi::Object>(), pairs, out_path);

    auto cancel = std::make_shared<std::atomic<bool>>(false);
    auto * worker = new TrainWorker(env, std::move(params), std::move(pairs), out_path, cancel, on_progress); // freed by node-addon-api
    Napi::Object job = Napi::Object::New(env);
    job.Set("promise", worker->promise());
    // cancel() only sets the flag; the shared_ptr keeps it alive for as long as either side needs it
    auto * flag = new std::shared_ptr<std::atomic<bool>>(cancel);
    Napi::Function cancel_fn = Napi::Function::New(env, [](const Napi::CallbackInfo & ci) {
        (*static_cast<std::shared_ptr<std::atomic<bool>> *>(ci.Data()))->store(true);
    }, "cancel", flag);
    cancel_fn.AddFinalizer([](Napi::Env, std::shared_ptr<std::atomic<bool>> * f) { delete f; }, flag);
    job.Set("cancel", cancel_fn);
    worker->Queue();
    return job;
}
