// tiny-gguf: writes small random llama / qwen2 model GGUFs for the native training tests (no tokenizer:
// enough for base_weights_load, not for llama.cpp inference). Weights are drawn from a seeded train_rng, so
// the same params give the same file. `twin_of` writes an F32 model whose weights are exactly the
// dequantized weights of the `twin_of`-typed model with the same seed: the reference for quantized bases.
#pragma once

#include "ggml.h"

#include <cstdint>
#include <string>

struct tiny_gguf_params {
    std::string arch      = "llama";          // "llama" | "qwen2"
    ggml_type   type      = GGML_TYPE_F32;    // type of the 2-D weights (and token_embd)
    ggml_type   twin_of   = GGML_TYPE_COUNT;  // if set: store F32, values round-tripped through this type
    int64_t     n_layer   = 2;
    int64_t     n_embd    = 64;
    int64_t     n_head    = 4;
    int64_t     n_head_kv = 2;
    int64_t     n_ff      = 128;
    int64_t     n_vocab   = 64;
    uint64_t    seed      = 42;
};

// Writes the model to `path`; aborts on I/O failure (test helper).
void tiny_gguf_write(const std::string & path, const tiny_gguf_params & p);
