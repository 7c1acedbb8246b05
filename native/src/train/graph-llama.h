// graph-llama: the training forward graph of layers 0..L of a llama / qwen2 model with LoRA, for one packed
// batch: the self tokens then the other tokens in ONE sequence of n_self + n_other tokens, positions
// restarting at 0 for the other tokens, and a block-diagonal causal mask so neither sequence sees the other.
// (Putting the two sequences in tensor dim 3 instead breaks the GQA backward pass.)
//
// Attention is computed from the fresh K/V of this graph: no KV cache (set_rows has no backward) and no
// flash attention (no backward either). Node names follow llama.cpp: `kqv_out-L`, `attn_out-L` (o_proj
// output, before the residual add), `ffn_out-L`, `l_out-L`, so taps and this graph compare node for node.
// Activations stay 2-D [n_embd, n_tokens] (ggml ne order: n_embd is the fast axis).
// Does not: build the layers above L, the output head, or anything for inference.
#pragma once

#include "ggml.h"

#include <cstdint>
#include <vector>

struct base_weights;
struct lora_weights;

struct graph_llama_inputs {
    int64_t                    n_self  = 0;
    int64_t                    n_other = 0;
    ggml_tensor *              tokens  = nullptr; // [n_tokens] I32: self tokens, then other tokens
    ggml_tensor *              pos     = nullptr; // [n_tokens] I32: 0..n_self-1, 0..n_other-1
    ggml_tensor *              kq_mask = nullptr; // [n_tokens, n_tokens] F32: 0 where key <= query in the same sequence, else -inf
    std::vector<ggml_tensor *> dropout;           // per lora_weights::tensors entry: [n_in, n_tokens] F32 (0 or 1/(1-p)); empty = no dropout
    int64_t n_tokens() const { return n_self + n_other; }
};

// Creates the input tensors (flagged as inputs) in `ctx`. With `dropout`, one mask per LoRA tensor.
graph_llama_inputs graph_llama_new_inputs(ggml_context * ctx, const lora_weights * lora, int64_t n_self, int64_t n_other, bool dropout);

// Uploads tokens, positions and mask (after the graph is allocated). Dropout masks are the caller's.
void graph_llama_set_inputs(const graph_llama_inputs & in, const std::vector<int32_t> & self, const std::vector<int32_t> & other);

// The nodes of layer L a loss reads. Only what the losses use is computed (ggml builds the graph from them),
// so a run on attn_out-L without the self anchor never computes layer L's FFN.
struct graph_llama_taps {
    ggml_tensor * attn_out = nullptr; // attn_out-L: [n_embd, n_tokens], o_proj output before the residual add (the published SOO tap)
    ggml_tensor * ffn_out  = nullptr; // ffn_out-L:  [n_embd, n_tokens], FFN output before the residual add
    ggml_tensor * l_out    = nullptr; // l_out-L:    [n_embd, n_tokens], the layer's output: all the frozen layers above read
                                      // (equal l_out-L means equal outputs: the self anchor, self-anchor.h)
};

// Builds layers 0..L (L = base.n_layer_loaded - 1) and returns the taps of layer L.
// `lora` may be nullptr (base model only). Shapes were validated when loading; GGML_ASSERTs guard invariants.
graph_llama_taps graph_llama_build(ggml_context * ctx, const base_weights & base, const lora_weights * lora, const graph_llama_inputs & in);
