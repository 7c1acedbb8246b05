// fast-backward: dL/dx through the frozen base weights with ggml_mul_mat instead of ggml's OUT_PROD.
//
// Why: ggml's autodiff computes the input gradient of y = mul_mat(W, x) as out_prod(W, dy^T). For a
// quantized W the CPU OUT_PROD kernel dequantizes every row of W once PER TOKEN, which made a SOO step
// ~25x a forward pass on a small Q8_0 model. The same product is dx = W^T dy = mul_mat(Wt, dy) with
// Wt = W transposed, which runs on ggml's fast quantized matmul kernels.
// How: fast_backward_init makes a transposed copy Wt of each frozen matrix the graph multiplies (layers
// 0..L): F32 and F16 weights keep their type, quantized ones become Q8_0 (one extra rounding of W^T at
// 8 bits; the test compares gradients against the OUT_PROD reference). fast_backward_rewrite then turns each
// OUT_PROD(W, transpose(dy)) node of a built backward graph into MUL_MAT(Wt, dy), in place, before the
// graph is allocated. Values are the same product up to rounding; memory grows by the size of the Q8_0 copy.
// Does not: touch LoRA gradients (their OUT_PRODs have F32 operands), or change the forward pass.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"

#include <memory>
#include <unordered_map>
#include <vector>

struct base_weights;
struct cpu_bufts;

struct fast_backward {
    std::unordered_map<const ggml_tensor *, ggml_tensor *> transposed; // W -> Wt: [n_out, n_in]
    std::vector<ggml_context_ptr>        ctxs; // one per buffer type used
    std::vector<ggml_backend_buffer_ptr> bufs;
    ggml_backend_buffer_type_t           plain = nullptr;
    size_t                               n_bytes = 0;
};

// Wt goes to bufts.for_matmul(Wt) (maybe a repacked layout: Wt is only ever used in MUL_MAT). W's values
// are re-read from the file, since W itself may be stored repacked.
std::unique_ptr<fast_backward> fast_backward_init(const base_weights & base, const cpu_bufts & bufts);

// Rewrites the input-gradient OUT_PROD nodes of `gf` whose weight has a transposed copy. Returns how many.
// Throws soo_error (internal) if an OUT_PROD is left on a weight outside a plain buffer (it would read a
// repacked layout as plain).
int fast_backward_rewrite(const fast_backward & fb, ggml_cgraph * gf);
