// lm-fast-backward: rewrites every OUT_PROD of a built backward graph as a MUL_MAT, so the backward runs on
// ggml-cpu's tiled GEMM (llamafile sgemm) instead of OUT_PROD's one-row-at-a-time kernel.
//
// ggml's autodiff writes both gradients of y = mul_mat(A, x) as outer products:
//   dA = out_prod(x, dy)          dx = out_prod(A, transpose(dy))
// and out_prod(a, b)[i, j] = sum_k a[i, k] b[j, k] = mul_mat(T(a), T(b))[i, j] with T(v) = cont(transpose(v))
// (or v's source when v is itself a transpose of a contiguous tensor). The transposes are copies of
// activations/weights ([n_in, N] floats), cheap next to the product. Each OUT_PROD node is turned into that
// MUL_MAT in place (consumers keep their pointers); the graph is then re-expanded into a new graph so the
// added transposes run before their consumers. Same float32 arithmetic, another summation order: results
// differ from OUT_PROD's by rounding only, and stay independent of the thread count.
#pragma once

#include "ggml.h"

// Returns the rewritten graph (allocated in `ctx`, `graph_size` nodes) and the number of OUT_PRODs replaced.
ggml_cgraph * lm_fast_backward_rewrite(ggml_context * ctx, ggml_cgraph * gf, size_t graph_size, int * n_rewritten = nullptr);
