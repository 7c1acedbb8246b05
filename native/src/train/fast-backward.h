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

struct base_weights;

struct fast_backward {
    std::unordered_map<const ggml_tensor *, ggml_tensor *> transposed; // W -> Wt: [n_out, n_in]
    ggml_context_ptr        ctx;
    ggml_backend_buffer_ptr buf;
    size_t                  n_bytes = 0;
};

std::unique_ptr<fast_backward> fast_backward_init(const base_weights & base, ggml_backend_buffer_type_t buft);

// Rewrites the input-gradient OUT_PROD nodes of `gf` whose weight has a transposed copy. Returns how many.
int fast_backward_rewrite(const fast_backward & fb, ggml_cgraph * gf);
