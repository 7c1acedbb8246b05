// train-addon: a test-only N-API module exporting trainSoo (src/napi/train-worker.h), so the worker is
// tested from JS (test/native/train-worker.test.ts) before and independently of its wiring into soo_native.
#include "napi/train-worker.h"

#include <napi.h>

static Napi::Object init(Napi::Env env, Napi::Object exports) {
    exports.Set("trainSoo", Napi::Function::New<train_soo>(env, "trainSoo"));
    return exports;
}

NODE_API_MODULE(soo_train_addon, init)
