// lm-model: a whole small llama model in F32, loaded for full-parameter training, and written back.
//
// lm_model_load reads EVERY tensor of an F32 llama GGUF into one CPU backend buffer (the demo organism is
// ~1 MB; nothing is mapped or skipped), validates what training needs, and keeps the file's metadata so
// lm_model_save can write the same model with the trained values (+ extra string KVs), atomically.
//
// Tensors (ggml ne order, ne[0] = input size of a matrix):
//   token_embd.weight [n_embd, n_vocab]   output_norm.weight [n_embd]   output.weight [n_embd, n_vocab] (optional:
//   absent = tied head, the logits use token_embd as llama.cpp's fallback does)
//   blk.N.attn_norm/ffn_norm.weight [n_embd]   blk.N.attn_q/k/v/output.weight [n_embd, n_embd]
//   blk.N.ffn_gate/up.weight [n_embd, n_ff]     blk.N.ffn_down.weight [n_ff, n_embd]
// Validation (soo_error bad_input naming the file and tensor): architecture llama, n_head_kv == n_head (the
// batched attention graph has no GQA backward), every tensor F32, every expected tensor present with its shape.
// Does not: quantized or F16 models, biases (qwen2), rope scaling tables.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"
#include "gguf.h"

#include "train/base-weights.h"

#include <map>
#include <string>
#include <vector>

struct lm_layer {
    ggml_tensor * attn_norm = nullptr; // [n_embd]
    ggml_tensor * attn_q    = nullptr; // [n_embd, n_embd]
    ggml_tensor * attn_k    = nullptr; // [n_embd, n_embd]
    ggml_tensor * attn_v    = nullptr; // [n_embd, n_embd]
    ggml_tensor * attn_out  = nullptr; // [n_embd, n_embd]
    ggml_tensor * ffn_norm  = nullptr; // [n_embd]
    ggml_tensor * ffn_gate  = nullptr; // [n_embd, n_ff]
    ggml_tensor * ffn_up    = nullptr; // [n_embd, n_ff]
    ggml_tensor * ffn_down  = nullptr; // [n_ff, n_embd]
};

struct lm_model {
    std::string           path;
    base_hparams          hp;
    int64_t               n_ctx       = 0;        // llama.context_length: the longest sequence trained on
    ggml_tensor *         tok_embd    = nullptr;  // [n_embd, n_vocab]
    ggml_tensor *         output      = nullptr;  // [n_embd, n_vocab], or == tok_embd when tied
    ggml_tensor *         output_norm = nullptr;  // [n_embd]
    std::vector<lm_layer> layers;
    std::vector<ggml_tensor *> tensors;           // every tensor of the file, in file order

    gguf_context_ptr        meta;                 // the input's metadata (KVs; tensor infos are rebuilt on save)
    ggml_context_ptr        ctx;                  // tensor metadata (no_alloc)
    ggml_backend_buffer_ptr buf;                  // tensor data (CPU, host memory)

    bool          tied() const { return output == tok_embd; }
    ggml_tensor * find(const std::string & name) const;
};

// Loads and validates; throws soo_error (bad_input for the caller's file, internal for I/O failures).
std::unique_ptr<lm_model> lm_model_load(const std::string & path, ggml_backend_buffer_type_t buft);

// Writes the model's metadata, `extra` string KVs and every tensor's CURRENT values to `path` via
// `path.tmp` + rename. Throws soo_error (internal) on I/O failure.
void lm_model_save(const lm_model & m, const std::string & path, const std::map<std::string, std::string> & extra);
