// workers: see workers.h.
#include "napi/workers.h"

#include "errors.h"
#include "napi/convert.h"
#include "napi/model-wrap.h"

namespace {

// Remembers the code/file of the caught error so OnError can build a JS error carrying them.
struct worker_error {
    soo_error_code code = SOO_ERROR_INTERNAL;
    std::string    file;

    // Runs fn; returns "" on success, else the message for SetError.
    template <typename F> std::string run(F && fn) {
        try {
            fn();
            return "";
        } catch (const soo_error & e) {
            code = e.code;
            file = e.file;
            return *e.what() ? e.what() : "unknown error";
        } catch (const std::bad_alloc &) {
            return "out of memory";
        } catch (const std::exception & e) {
            return *e.what() ? e.what() : "unknown error";
        }
    }
};

class LoadWorker : public Napi::AsyncWorker {
  public:
    LoadWorker(Napi::Env env, std::string path, model_load_params params)
        : Napi::AsyncWorker(env, "soo_native.load"), deferred_(Napi::Promise::Deferred::New(env)),
          path_(std::move(path)), params_(params) {}

    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute() override {
        const std::string error = error_.run([&] { handle_ = model_handle_load(path_, params_); });
        if (!error.empty()) SetError(error);
    }

    void OnOK() override { deferred_.Resolve(ModelWrap::create(Env(), std::move(handle_))); }

    void OnError(const Napi::Error & e) override {
        deferred_.Reject(convert_error(Env(), error_.code, e.Message(), error_.file).Value());
    }

  private:
    Napi::Promise::Deferred       deferred_;
    std::string                   path_;
    model_load_params             params_;
    std::unique_ptr<model_handle> handle_;
    worker_error                  error_;
};

class TapsWorker : public Napi::AsyncProgressWorker<taps_progress> {
  public:
    TapsWorker(Napi::Env env, ModelWrap * model, Napi::Object model_object, taps_params params, Napi::Function on_progress)
        : Napi::AsyncProgressWorker<taps_progress>(env, "soo_native.taps"), deferred_(Napi::Promise::Deferred::New(env)),
          model_(model), params_(std::move(params)) {
        model_ref_ = Napi::Persistent(model_object); // keeps the model alive while the job runs
        if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    }

    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        model_handle & handle = *handle_;
        const std::string error = error_.run([&] {
            result_ = taps_capture(handle, params_, [&](const taps_progress & p) { progress.Send(&p, 1); });
        });
        if (!error.empty()) SetError(error);
    }

    void OnProgress(const taps_progress * data, size_t count) override {
        if (on_progress_.IsEmpty() || count == 0) return;
        const taps_progress & p = data[count - 1];
        on_progress_.Call({ Napi::Number::New(Env(), (double) p.tokens_done), Napi::Number::New(Env(), (double) p.tokens_total) });
    }

    void OnOK() override {
        model_->job_done();
        deferred_.Resolve(convert_taps_result(Env(), result_));
    }

    void OnError(const Napi::Error & e) override {
        model_->job_done();
        deferred_.Reject(convert_error(Env(), error_.code, e.Message(), error_.file).Value());
    }

    model_handle * handle_ = nullptr; // set before Queue() on the JS thread

  private:
    Napi::Promise::Deferred deferred_;
    ModelWrap *             model_;
    Napi::ObjectReference   model_ref_;
    Napi::FunctionReference on_progress_;
    taps_params             params_;
    taps_result             result_;
    worker_error            error_;
};

} // namespace

Napi::Promise load_worker_start(Napi::Env env, const std::string & path, const model_load_params & params) {
    auto * worker = new LoadWorker(env, path, params); // deleted by node-addon-api after OnOK/OnError
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
}

Napi::Promise taps_worker_start(Napi::Env env, ModelWrap * model, Napi::Object model_object, taps_params params,
                                Napi::Function on_progress) {
    auto * worker    = new TapsWorker(env, model, model_object, std::move(params), on_progress);
    worker->handle_  = &model->handle();
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
}
