// soo-loss: the Self-Other Overlap loss on the packed batch of graph-llama: mean squared error between the
// self rows and the other rows of the tapped node of layer L (attn_out-L, the published tap, unless a run
// chooses another point), compared at the chosen token positions.
//   full: elementwise over aligned positions (needs n_self == n_other), mean over n_embd * n_tokens values
//   last: the last token of each sequence, mean over n_embd values
//   mean: the mean over each sequence's tokens, then mean over n_embd values
// Symmetric: gradients flow through both the self and the other rows.
// Does not: check alignment of the TOKENS themselves (only counts), or weight tokens.
#pragma once

#include "ggml.h"

#include <cstdint>
#include <string>

enum soo_positions {
    SOO_POSITIONS_FULL,
    SOO_POSITIONS_LAST,
    SOO_POSITIONS_MEAN,
};

// The node of layer L the loss compares, named as the taps name them (native/src/taps/tap-match.cpp):
//   attn_out  attn_out-L: o_proj output before the residual add (the published tap)
//   mlp_out   ffn_out-L:  the FFN's output before the residual add
//   resid     l_out-L:    the layer's output, the residual stream every layer above reads
// With mlp_out and resid, layer L's FFN is below the tap, so its FFN targets get adapters too.
enum soo_point {
    SOO_POINT_ATTN_OUT,
    SOO_POINT_MLP_OUT,
    SOO_POINT_RESID,
};

// "attn_out" | "mlp_out" | "resid" -> enum; throws soo_error (bad_input) otherwise.
soo_point   soo_point_from_name(const std::string & name);
const char * soo_point_name(soo_point point);

// "full" | "last" | "mean" -> enum; throws soo_error (bad_input) otherwise.
soo_positions soo_positions_from_name(const std::string & name);
const char *  soo_positions_name(soo_positions positions);

// Throws soo_error (bad_input) if the pair cannot be compared under `positions` (empty sequence, or
// n_self != n_other under full). `where` names the pair in the message, e.g. "pair 3".
void soo_loss_check(soo_positions positions, int64_t n_self, int64_t n_other, const std::string & where);

// tapped: [n_embd, n_self + n_other]. Returns the scalar loss [1], named "soo_loss".
ggml_tensor * soo_loss_build(ggml_context * ctx, ggml_tensor * tapped, int64_t n_self, int64_t n_other, soo_positions positions);
