// base-weights: the frozen weights of a GGUF model that SOO training needs, and nothing more.
//
// Opens a GGUF (metadata only first), validates everything the user controls, then loads token_embd and
// blk.0..L.* into one backend buffer in their FILE TYPE (F32, F16, BF16, Q8_0, Q4_K, ...: no dequantized
// copies). Layers above L are never read: the SOO loss only depends on layers 0..L.
//
// Validation (before any allocation; each failure throws soo_error SOO_ERROR_BAD_INPUT naming the file):
//   - general.architecture is supported (llama, qwen2), the hyper-parameters are present and consistent;
//   - 0 <= layer < n_layer;
//   - every needed tensor exists with the expected ne (message names tensor, expected, actual, and a hint).
// Does not: load the output head or the final norm, support rope scaling types other than none/linear, MoE,
// sliding-window attention, or per-layer head counts.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct cpu_bufts;

enum base_arch {
    BASE_ARCH_LLAMA, // llama, mistral (converted to llama): rope NORM, no q/k/v bias
    BASE_ARCH_QWEN2, // qwen2: rope NEOX, q/k/v biases
};

struct base_hparams {
    std::string arch_name;         // general.architecture, e.g. "llama"
    base_arch   arch;
    int64_t     n_vocab     = 0;
    int64_t     n_embd      = 0;
    int64_t     n_layer     = 0;   // layers in the file
    int64_t     n_head      = 0;
    int64_t     n_head_kv   = 0;
    int64_t     n_embd_head = 0;   // n_embd / n_head
    int64_t     n_ff        = 0;
    int64_t     n_rot       = 0;   // rope dimensions (= n_embd_head unless rope.dimension_count says otherwise)
    int         rope_type   = 0;   // GGML_ROPE_TYPE_NORMAL (0) or GGML_ROPE_TYPE_NEOX
    float       rope_freq_base  = 10000.0f;
    float       rope_freq_scale = 1.0f;
    float       rms_eps     = 1e-5f;
    int64_t     n_embd_kv() const { return n_embd_head * n_head_kv; }
};

// One transformer block. Weights are in GGUF orientation: ne = [n_in, n_out].
struct base_layer {
    ggml_tensor * attn_norm   = nullptr; // [n_embd]
    ggml_tensor * attn_q      = nullptr; // [n_embd, n_embd]
    ggml_tensor * attn_k      = nullptr; // [n_embd, n_embd_kv]
    ggml_tensor * attn_v      = nullptr; // [n_embd, n_embd_kv]
    ggml_tensor * attn_output = nullptr; // [n_embd, n_embd]
    ggml_tensor * attn_q_b    = nullptr; // [n_embd]     qwen2 only
    ggml_tensor * attn_k_b    = nullptr; // [n_embd_kv]  qwen2 only
    ggml_tensor * attn_v_b    = nullptr; // [n_embd_kv]  qwen2 only
    ggml_tensor * ffn_norm    = nullptr; // [n_embd]
    ggml_tensor * ffn_gate    = nullptr; // [n_embd, n_ff]
    ggml_tensor * ffn_up      = nullptr; // [n_embd, n_ff]
    ggml_tensor * ffn_down    = nullptr; // [n_ff, n_embd]
};

struct base_weights {
    std::string             path;
    base_hparams            hp;
    int64_t                 n_layer_loaded = 0;   // L + 1
    ggml_tensor *           tok_embd   = nullptr; // [n_embd, n_vocab], or [n_embd, tok_ids.size()] (see tok_ids)
    std::vector<int32_t>    tok_ids;              // sorted token ids whose rows tok_embd holds; empty = all of them
    ggml_tensor *           rope_freqs = nullptr; // [n_rot/2] or nullptr (llama3-style rope scaling factors)
    std::vector<base_layer> layers;               // 0..L
    size_t                  n_bytes    = 0;       // bytes loaded

    std::vector<ggml_context_ptr>        ctxs;     // tensor metadata (no_alloc), one per buffer type used
    std::vector<ggml_backend_buffer_ptr> bufs;     // tensor data, in file types (maybe in a repacked layout)
    std::unordered_map<std::string, ggml_tensor *>      by_name;
    std::unordered_map<std::string, std::pair<size_t, size_t>> file_range; // name -> (file offset, bytes)

    // The weight tensor named e.g. "blk.3.attn_q.weight", or nullptr.
    ggml_tensor * find(const std::string & name) const;
};

// Reads metadata and validates; loads nothing. Throws soo_error (bad_input) on any problem.
// `layer` is the SOO layer L (0-based); pass -1 to skip the layer range check.
base_hparams base_weights_read_hparams(const std::string & path, int layer);

// Loads token_embd and blocks 0..layer: block matrices into bufts.for_matmul(W) (maybe an extra, repacked
// buffer type), everything else into bufts.plain. With `token_ids` (any order, duplicates allowed; each in
// [0, n_vocab)), token_embd holds only those rows, in sorted id order (tok_ids): a graph then looks rows up
// by base_weights_token_row. Why: the embedding matrix is a large part of small models (Qwen2.5-0.5B: 27%
// of the file) and a training run only ever reads the rows of its pairs' tokens.
// Throws soo_error (bad_input) for user errors, soo_error (internal) for I/O failures.
std::unique_ptr<base_weights> base_weights_load(const std::string & path, int layer, const cpu_bufts & bufts,
                                                const std::vector<int32_t> & token_ids = {});

// The row of tok_embd holding token `id`: id itself when every row is loaded, else its index in tok_ids,
// or -1 when that row was not loaded.
int32_t base_weights_token_row(const base_weights & bw, int32_t id);

// The bytes of tensor `name` as stored in the file (the original layout, whatever buffer holds the tensor).
std::vector<uint8_t> base_weights_read_raw(const base_weights & bw, const std::string & name);

// Names of the per-layer weights LoRA may target, e.g. "attn_q", "ffn_down".
const std::vector<std::string> & base_weights_lora_targets();
