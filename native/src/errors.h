// Errors thrown inside the addon and converted to JS errors at the N-API seam (src/napi/).
//
// Internal code throws `soo_error` (or any std::exception). The seam turns it into a JS Error with
// `code` ('bad_input' | 'cancelled' | 'internal') and, when known, `file`. Messages say what is wrong,
// where, expected vs actual, and what to do, e.g.
//   "truncated GGUF: tensor 'blk.3.ffn_down.weight' ends at byte 8392704 but the file has 4194304 bytes"
#pragma once

#include <stdexcept>
#include <string>

enum soo_error_code {
    SOO_ERROR_BAD_INPUT, // the caller gave something invalid: a file, a layer index, a token
    SOO_ERROR_CANCELLED, // the caller cancelled the job
    SOO_ERROR_INTERNAL,  // llama.cpp failed for a reason we could not attribute to the input
};

struct soo_error : std::runtime_error {
    soo_error_code code;
    std::string    file; // the file the problem is in; empty when none

    soo_error(soo_error_code code, const std::string & message, const std::string & file = "")
        : std::runtime_error(message), code(code), file(file) {}
};

inline const char * soo_error_code_name(soo_error_code code) {
    switch (code) {
        case SOO_ERROR_BAD_INPUT: return "bad_input";
        case SOO_ERROR_CANCELLED: return "cancelled";
        case SOO_ERROR_INTERNAL:  return "internal";
    }
    return "internal";
}
