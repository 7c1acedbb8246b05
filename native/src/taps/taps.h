// taps: activation capture through llama.cpp's own graph.
//
// taps_capture runs the model on a list of prompts (token arrays) and returns, for every prompt and every
// requested (layer, point), the activation rows of all its tokens: row-major [n_tokens, n_embd] float32
// (the same memory as ggml ne = [n_embd, n_tokens]).
//
// How:
//   - a llama_context with cb_eval = our callback, which answers "ask" only for the requested nodes
//     (tap-match.h) and copies them out with ggml_backend_tensor_get;
//   - prompts are packed, in order, into packs of up to n_ctx tokens and n_seq_max sequences, one sequence
//     id per prompt, positions from 0 in each; kv_unified = true keeps the rows in batch order;
//   - each pack is decoded in ubatches of n_ubatch tokens (n_batch = n_ubatch, so one graph per
//     llama_decode), rows are concatenated across ubatches, then cut per prompt;
//   - when a request taps the last layer, logits are requested for every token (the last layer otherwise
//     prunes rows to the tokens that need logits);
//   - with stop_early, the graph stops right after the highest tapped layer (the callback returns false on
//     the first node of the next layer): layers above it are never computed.
// Defaults give exact values: F32 KV cache, no flash attention.
//
// Does not: tokenize (callers pass token ids), sample, keep KV state between calls.
#pragma once

#include "taps/tap-match.h"

#include "llama.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

struct model_handle;

struct taps_params {
    std::vector<std::vector<llama_token>> prompts;     // each non-empty, ids in [0, n_vocab)
    std::vector<tap_request>              requests;    // each layer in [0, n_layer)
    std::vector<std::pair<std::string, float>> adapters; // LoRA GGUF path, user scale
    int32_t   n_threads  = 1;
    uint32_t  n_ubatch   = 512;
    uint32_t  n_ctx      = 0;      // 0: max(n_ubatch, longest prompt) rounded up to 256
    uint32_t  n_seq_max  = 64;
    ggml_type type_kv    = GGML_TYPE_F32;
    bool      flash_attn = false;
    bool      stop_early = true;
};

struct taps_progress {
    int64_t tokens_done  = 0;
    int64_t tokens_total = 0;
};

struct taps_result {
    // [prompt][request] -> n_tokens(prompt) * n_embd floats, row-major [n_tokens, n_embd]
    std::vector<std::vector<std::vector<float>>> activations;
    std::vector<int32_t> n_tokens;      // per prompt
    std::vector<int32_t> widths;        // per request: row length (n_embd, or n_head*head_dim for kqv_out)
    int32_t n_embd          = 0;
    double  decode_ms       = 0.0;      // wall time inside llama_decode, all packs
    double  total_ms        = 0.0;      // including context creation and copies
    int32_t n_decodes       = 0;
    bool    stopped_early   = false;    // true if at least one graph stopped after the last tapped layer
};

// What the eval callback fills during one decode (one ubatch). Owned by model_handle (stable address).
struct tap_state {
    tap_match                       match;
    std::vector<std::vector<float>> rows;        // per request: captured data of the current ubatch
    std::vector<int64_t>            n_rows;      // per request: rows captured in the current ubatch
    std::vector<int>                pending;     // requests answered by the node asked for last
    bool                            stop_early = false;
    bool                            stopped    = false;
    std::string                     error;       // set by the callback (it must not throw through C)
};

// Throws soo_error: bad_input for invalid prompts/requests/adapters (checked before decoding),
// cancelled when handle.cancel_requested becomes true, internal when llama.cpp fails.
taps_result taps_capture(model_handle & handle, const taps_params & params,
                         const std::function<void(const taps_progress &)> & on_progress);
