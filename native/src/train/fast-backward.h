// fast-backward: dL/dx through the frozen base weights without ggml's per-token OUT_PROD.
//
// Why: ggml's autodiff computes the input gradient of y = mul_mat(W, x) as out_prod(W, dy^T). For a
// quantized W the CPU OUT_PROD kernel dequantizes every row of W once PER TOKEN, which made a SOO step
// 6-25x a forward pass. Two replacements, chosen per weight by fast_backward_init:
//   dequant     (default) the node becomes input-grad-op (a ggml custom op): dx = W^T dy read straight
//               from W's plain bytes, each element dequantized once per graph; no extra memory.
//   transposed  the node becomes mul_mat(Wt, dy) on a transposed copy Wt made at init (F32/F16 keep
//               their type, quantized W become Q8_0: one extra 8-bit rounding). Costs +1x the Q8_0 size
//               of layers 0..L; the only choice for a W stored in a repacked layout (AMX tiles, GEMM
//               repacks), whose rows cannot be read. Selected for every W by `all_transposed`.
// fast_backward_rewrite turns each OUT_PROD(W, transpose(dy)) node of a built backward graph into one of
// those, in place, before the graph is allocated. Values are the same product up to rounding (tests
// compare both against the OUT_PROD reference).
// Does not: touch LoRA gradients (their OUT_PRODs have F32 operands), or change the forward pass.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"

#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct base_weights;
struct cpu_bufts;

struct fast_backward {
    std::unordered_map<const ggml_tensor *, ggml_tensor *> transposed; // W -> Wt: [n_out, n_in] (transposed path)
    std::unordered_set<const ggml_tensor *>               dequant;    // W read in place by input-grad-op
    std::vector<ggml_context_ptr>        ctxs; // one per buffer type used
    std::vector<ggml_backend_buffer_ptr> bufs;
    ggml_backend_buffer_type_t           plain = nullptr;
    size_t                               n_bytes = 0;
};

// Per frozen matrix of layers 0..L: dequant when W sits in a plain buffer and input-grad-op supports its type
// and shape, else transposed (all transposed when `all_transposed`). Wt goes to bufts.for_matmul(Wt) (maybe
// a repacked layout: Wt is only ever used in MUL_MAT); W's values are re-read from the file, since W itself
// may be stored repacked.
std::unique_ptr<fast_backward> fast_backward_init(const base_weights & base, const cpu_bufts & bufts, bool all_transposed = false);

// Rewrites the input-gradient OUT_PROD nodes of `gf` whose weight has a transposed copy. Returns how many.
// Throws soo_error (internal) if an OUT_PROD is left on a weight outside a plain buffer (it would read a
// repacked layout as plain).
int fast_backward_rewrite(const fast_backward & fb, ggml_cgraph * gf);
