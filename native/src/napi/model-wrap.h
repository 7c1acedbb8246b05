// model-wrap: the JS `NativeModel` object (native/index.d.ts), an ObjectWrap around model_handle.
//
// Created only by the addon's loadModel() (workers.h LoadWorker); JS `new` without the internal handle
// throws. Methods: info(), tokenize(), taps() -> Promise, cancel(), dispose(). One job at a time: taps()
// while a job runs, or dispose() during a job, throws a bad_input error instead of racing.
#pragma once

#include "model/model-handle.h"

#include <napi.h>

#include <memory>

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
  public:
    static Napi::Function define_class(Napi::Env env);
    static Napi::Object   create(Napi::Env env, std::unique_ptr<model_handle> handle);

    explicit ModelWrap(const Napi::CallbackInfo & info);

    model_handle & handle();     // throws when disposed
    void           job_done() { busy_ = false; }

  private:
    Napi::Value info(const Napi::CallbackInfo & info);
    Napi::Value tokenize(const Napi::CallbackInfo & info);
    Napi::Value taps(const Napi::CallbackInfo & info);
    Napi::Value cancel(const Napi::CallbackInfo & info);
    Napi::Value dispose(const Napi::CallbackInfo & info);

    std::unique_ptr<model_handle> handle_;
    bool                          busy_ = false;
};
