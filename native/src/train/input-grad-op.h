// input-grad-op: dx = W^T dy for a frozen weight W of any ggml type, straight from W's own bytes, as a ggml
// custom op (GGML_OP_CUSTOM) on the CPU backend.
//
// Why: the input gradient of y = mul_mat(W, x) is what ggml's autodiff writes as out_prod(W, dy^T). Its CPU
// kernel (ggml_compute_forward_out_prod_q_f32 in ggml-cpu/ops.cpp) dequantizes every row of W once PER
// TOKEN, so a training step cost ~6x a forward. A transposed copy W^T fixed the speed but cost +1x the
// memory of layers 0..L. This op dequantizes each element of W once PER GRAPH and keeps no copy: a
// scratch per thread of 64 rows of W x 256 columns (64 KiB of F32, + 32 KiB of bf16 on the BF16 path).
//
// Shapes (ggml ne order): W [n_in, n_out] (rows of n_in in its file type; plain row-major bytes, so not
// a repacked AMX/GEMM layout), dy [n_out, T] F32 with contiguous rows, dx [n_in, T] F32 contiguous.
//   dx[i, t] = sum_o W[i, o] * dy[o, t]
// Threads split n_in into whole quantization blocks, so no two threads write the same memory. Each thread
// walks its columns in panels of P; per panel: zero dx[panel, :], then for every KC rows of W dequantize
// W[panel, rows] once and add its product with dy to all T tokens through a register-blocked micro-kernel
// (MR columns x 6 tokens of accumulators; MR = 64 with AVX-512, 16 with AVX2, 8 otherwise).
// Precision (input_grad_precision): F32 products of F32-dequantized weights, summed over o ascending with
// one FMA per term, which is what ggml's OUT_PROD does (bit-identical results); or, by default for quantized
// and BF16 weights on CPUs with AVX512-BF16 (Zen 4, Sapphire Rapids and later), the same tiles rounded to
// bf16 and multiplied by VDPBF16PS (two rows of W per instruction, twice the F32 rate; W and dy each carry
// ~2^-9 relative rounding, comparable to Q8_0's own and less than the W^T copies' Q8_0 + Q8 activations).
// F32/F16 weights always take the F32 path. Either way the result depends only on the inputs, not on the
// thread count (threads own disjoint columns).
// Speed (1 thread, Zen 4, Q8_0 W [896, 4864] / [4864, 896] / [896, 896], 128 tokens, load average ~12):
// BF16 0.7-1.0x the forward mul_mat(W, x) of the same weight (ggml's int8 dot kernels), F32 1.0-1.9x.
// Does not: compute dW (W is frozen), broadcast over ne2/ne3, or read repacked buffers.
#pragma once

#include "ggml.h"

enum input_grad_precision {
    INPUT_GRAD_AUTO = 0, // BF16 products (VDPBF16PS) for quantized / BF16 W where the CPU has AVX512-BF16, else F32
    INPUT_GRAD_F32  = 1, // always F32 products (bit-identical to ggml's OUT_PROD)
};

// True when the op multiplies in BF16 for this W (see input_grad_precision).
bool input_grad_op_uses_bf16(const ggml_tensor * w, input_grad_precision precision);

// Turns `node` (an OUT_PROD(W, transpose(dy)) of a built backward graph, shape [n_in, T]) into this op in
// place: src[0] = w, src[1] = dy. The caller checks the shapes; see input_grad_op_supports.
void input_grad_op_make(ggml_tensor * node, ggml_tensor * w, ggml_tensor * dy, input_grad_precision precision = INPUT_GRAD_AUTO);

// True when the op can run on these operands: W 2-D with plain rows of a type with a to_float (or F32),
// dy F32 2-D with contiguous rows, n_in a multiple of W's block size.
bool input_grad_op_supports(const ggml_tensor * w, const ggml_tensor * dy);

// The op itself (ggml_custom_op_t; userdata = (void *) (intptr_t) input_grad_precision); exposed for tests
// that build it with ggml_custom_4d.
void input_grad_op_compute(ggml_tensor * dst, int ith, int nth, void * userdata);
