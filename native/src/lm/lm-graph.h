// lm-graph: the training forward graph of a whole llama model (lm-model.h) for a batch of B sequences
// padded to T tokens, and its weighted cross-entropy loss.
//
// Layout (ggml ne order): activations are [n_embd, T*B] with row r = t + T*b (token t of sequence b), so
// every matmul sees all B*T tokens at once; attention reshapes to [head_dim, T, n_head, B] and uses one
// causal mask [T, T] broadcast over heads and sequences (sequences never see each other: they sit in
// dim 3). Padding sits at the end of each sequence: causality keeps it from affecting real tokens, and it
// gets weight 0 in the loss. RoPE positions are 0..T-1 for every sequence.
// No KV cache (set_rows has no backward) and no flash attention (no backward in ggml).
//
// Loss = sum_r wn[r] * CE_r, CE_r = -log(softmax(logits_r)[target_r] + 1e-30); wn are the caller's weights
// already divided by their sum over the batch, so the loss is sum_i w_i CE_i / sum_i w_i exactly. The 1e-30
// only keeps log() finite for padding rows and absurdly wrong predictions (CE > 69): below that it changes
// CE by < 1e-30 / p. ggml_cross_entropy_loss is not used because its backward assumes unit-sum label rows.
#pragma once

#include "ggml.h"

#include <cstdint>
#include <vector>

struct lm_model;

struct lm_graph_inputs {
    int64_t       T = 0, B = 0;
    ggml_tensor * tokens  = nullptr; // [T*B] I32: input token of row r
    ggml_tensor * pos     = nullptr; // [T] I32: 0..T-1
    ggml_tensor * kq_mask = nullptr; // [T, T] F32: 0 where key <= query, else -inf
    ggml_tensor * target  = nullptr; // [T*B] I32: r*n_vocab + (token that follows row r): index into the flat probabilities
    ggml_tensor * weight  = nullptr; // [1, T*B] F32: normalized loss weight of row r (0 for padding)
};

struct lm_graph {
    lm_graph_inputs in;
    ggml_tensor *   logits = nullptr; // [n_vocab, T*B]
    ggml_tensor *   loss   = nullptr; // [1]
};

// One batch's input values, filled on the host: row r = t + T*b predicts seqs[b][t+1] with weight w[b][t+1].
struct lm_batch {
    int64_t              T = 0, B = 0;
    std::vector<int32_t> tokens;  // [T*B], padding = 0
    std::vector<int32_t> target;  // [T*B] flat index (see lm_graph_inputs::target)
    std::vector<float>   weight;  // [T*B] normalized: sums to 1 unless every weight is 0
    double               weight_sum = 0; // sum of the raw weights of the batch
    int64_t              n_tokens   = 0; // real (unpadded) tokens
};

// Builds inputs, forward and loss in `ctx` (no_alloc). The model's tensors may carry the param flag.
lm_graph lm_graph_build(ggml_context * ctx, const lm_model & m, int64_t T, int64_t B);

// Uploads a batch made by lm_batch_make (after the graph is allocated).
void lm_graph_set_inputs(const lm_graph_inputs & in, const lm_batch & batch);

// Pads `seqs` (token ids, weights of the same length; weights[0] unused) to the longest of them rounded up
// to a multiple of `pad_multiple` (fewer distinct shapes, so fewer graphs to build; padding rows cost compute
// but change no result: they have weight 0 and sit after every real token).
lm_batch lm_batch_make(const std::vector<const std::vector<int32_t> *> & tokens, const std::vector<const std::vector<float> *> & weights,
                       int64_t n_vocab, int64_t pad_multiple = 1);
