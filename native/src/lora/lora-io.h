// lora-io: the LoRA parameters being trained, and their llama.cpp LoRA GGUF file.
//
// Layout (what llama.cpp and node-llama-cpp load): KV general.type="adapter", general.architecture=<base>,
// adapter.type="lora", adapter.lora.alpha=<f32>; for each adapted weight W (e.g. "blk.3.attn_q.weight")
// tensors "W.lora_a" with ne=[n_in, r] and "W.lora_b" with ne=[r, n_out], F32. Effect on the base:
// y = W x + (alpha / r) * B (A x).
//
// Writes are atomic (temp file in the same folder, then rename). Extra KVs (training config) and extra
// tensors (optimizer moments, for checkpoints) ride along in the same file. Reading validates pairs and
// shapes and throws soo_error (bad_input) naming the file and tensor.
// Does not: quantize adapters, merge them into the base, or handle non-F32 adapter tensors.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct base_weights;

struct lora_tensor {
    std::string   weight; // adapted base weight, e.g. "blk.3.attn_q.weight"
    int           layer;  // 3
    std::string   target; // "attn_q"
    ggml_tensor * a;      // [n_in, r]   named weight + ".lora_a"
    ggml_tensor * b;      // [r, n_out]  named weight + ".lora_b"
};

struct lora_weights {
    int64_t                  rank  = 0;
    float                    alpha = 0.0f;
    std::vector<lora_tensor> tensors; // by layer, then target in base_weights_lora_targets() order
    ggml_context_ptr         ctx;     // metadata (no_alloc)
    ggml_backend_buffer_ptr  buf;     // data

    float scale() const { return alpha / (float) rank; }
    // The pair for base weight `weight` (e.g. "blk.3.attn_q.weight"), or nullptr.
    const lora_tensor * find(const std::string & weight) const;
};

// Creates A/B for `targets` in layers 0..L of `base` (L = base.n_layer_loaded - 1). Layer L only gets the
// attention targets (its FFN is above the attn_out tap) unless `ffn_of_last` (a tap above layer L's FFN). A ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) (PEFT's
// kaiming_uniform with a=sqrt(5)) from `seed`, B = 0: step 0 equals the base model.
// Throws soo_error (bad_input) for an unknown target or rank < 1.
std::unique_ptr<lora_weights> lora_weights_init(const base_weights & base, const std::vector<std::string> & targets,
                                                int64_t rank, float alpha, uint64_t seed, ggml_backend_buffer_type_t buft,
                                                bool ffn_of_last = false);

// Writes `lora` (and `extra` tensors, e.g. optimizer state) to `path` atomically. `set_kv` may add KVs.
void lora_io_write(const std::string & path, const lora_weights & lora, const std::string & arch,
                   const std::function<void(gguf_context *)> & set_kv = {},
                   const std::vector<ggml_tensor *> & extra = {});

// A LoRA GGUF read into host memory: metadata plus every tensor (also the extra ones).
struct lora_io_file {
    std::string      path;
    gguf_context_ptr meta;
    ggml_context_ptr data; // allocated host tensors, by name
    ggml_tensor * get(const std::string & name) const { return ggml_get_tensor(data.get(), name.c_str()); }
};

// Reads and validates the adapter keys and pairs. Throws soo_error (bad_input).
lora_io_file lora_io_read(const std::string & path);

// The adapter of `file` as trainable weights in a buffer of `buft`, checked against `base` when given
// (every W exists in the loaded layers with n_in/n_out matching). Throws soo_error (bad_input).
std::unique_ptr<lora_weights> lora_weights_from_file(const lora_io_file & file, const base_weights * base,
                                                     ggml_backend_buffer_type_t buft);
