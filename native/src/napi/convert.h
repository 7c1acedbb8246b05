// convert: JS <-> C++ conversions for the N-API seam, and the one place errors become JS errors.
//
// JS errors made here carry `code` ('bad_input' | 'cancelled' | 'internal') and `file` when known, so the
// engine host can pass them on as SooError data.
#pragma once

#include "errors.h"
#include "model/gguf-check.h"
#include "model/model-handle.h"
#include "taps/taps.h"

#include <napi.h>

// A JS Error with `code` and optional `file`.
Napi::Error convert_error(Napi::Env env, soo_error_code code, const std::string & message, const std::string & file = "");

// Runs `fn`; a soo_error or std::exception thrown inside becomes a JS exception with a code.
template <typename F> auto convert_call(Napi::Env env, F && fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const soo_error & e) {
        throw convert_error(env, e.code, e.what(), e.file);
    } catch (const Napi::Error &) {
        throw;
    } catch (const std::exception & e) {
        throw convert_error(env, SOO_ERROR_INTERNAL, e.what());
    }
}

// options object of Model.taps() -> taps_params; throws a bad_input JS error naming the field.
taps_params convert_taps_params(const Napi::Object & options);

// taps_result -> { activations: Float32Array[][] ([prompt][request]), nTokens, widths, nEmbd, ... }
Napi::Object convert_taps_result(Napi::Env env, const taps_result & result);

Napi::Object convert_model_info(Napi::Env env, const model_info & info);
Napi::Object convert_gguf_summary(Napi::Env env, const gguf_check_summary & summary);
