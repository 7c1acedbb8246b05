// input-grad-op: dx = W^T dy for a frozen weight W of any ggml type, straight from W's own bytes, as a ggml
// custom op (GGML_OP_CUSTOM) on the CPU backend.
//
// Why: the input gradient of y = mul_mat(W, x) is what ggml's autodiff writes as out_prod(W, dy^T). Its CPU
// kernel (ggml_compute_forward_out_prod_q_f32 in ggml-cpu/ops.cpp) dequantizes every row of W once PER
// TOKEN, so a training step cost ~6x a forward. A transposed copy W^T fixed the speed but cost +1x the
// memory of layers 0..L. This op dequantizes each element of W once PER GRAPH and keeps no copy: a
// scratch of KC x P floats per thread (64 rows of W x 256 columns = 64 KiB).
//
// Shapes (ggml ne order): W [n_in, n_out] (rows of n_in in its file type; plain row-major bytes, so not
// a repacked AMX/GEMM layout), dy [n_out, T] F32 with contiguous rows, dx [n_in, T] F32 contiguous.
//   dx[i, t] = sum_o W[i, o] * dy[o, t]
// Threads split n_in into whole quantization blocks, so no two threads write the same memory. Each thread
// walks its columns in panels of P; per panel: zero dx[panel, :], then for every KC rows of W dequantize
// W[panel, rows] once and add its product with dy to all T tokens through a register-blocked micro-kernel
// (MR columns x 6 tokens of accumulators; MR = 64 with AVX-512, 16 with AVX2, 8 otherwise).
// Summation order: o ascending for every element, one FMA per term, the same as ggml's OUT_PROD; results
// are therefore deterministic and independent of the thread count.
// Precision: F32 accumulation of F32-dequantized weights (ggml's OUT_PROD does the same per token).
// Speed (1 thread, Zen 4, Q8_0 W [896, 4864] and [4864, 896], 128 tokens): 1.2-1.4x the forward
// mul_mat(W, x) of the same weight, which runs ggml's int8 dot kernels.
// Does not: compute dW (W is frozen), broadcast over ne2/ne3, or read repacked buffers.
#pragma once

#include "ggml.h"

// Turns `node` (an OUT_PROD(W, transpose(dy)) of a built backward graph, shape [n_in, T]) into this op in
// place: src[0] = w, src[1] = dy. The caller checks the shapes; see input_grad_op_supports.
void input_grad_op_make(ggml_tensor * node, ggml_tensor * w, ggml_tensor * dy);

// True when the op can run on these operands: W 2-D with plain rows of a type with a to_float (or F32),
// dy F32 2-D with contiguous rows, n_in a multiple of W's block size.
bool input_grad_op_supports(const ggml_tensor * w, const ggml_tensor * dy);

// The op itself (ggml_custom_op_t); exposed for tests that build it with ggml_custom_4d.
void input_grad_op_compute(ggml_tensor * dst, int ith, int nth, void * userdata);
