// workers: one AsyncWorker per long operation. Execute() runs on a libuv pool thread and catches every
// exception into the worker's error state (never lets one cross into C); OnOK/OnError settle the promise.
#pragma once

#include "model/model-handle.h"
#include "taps/taps.h"

#include <napi.h>

class ModelWrap;

// loadModel(path, options) -> Promise<NativeModel>
Napi::Promise load_worker_start(Napi::Env env, const std::string & path, const model_load_params & params);

// model.taps(options, onProgress?) -> Promise<NativeTapsResult>; `onProgress` may be empty.
Napi::Promise taps_worker_start(Napi::Env env, ModelWrap * model, Napi::Object model_object, taps_params params,
                                Napi::Function on_progress);
