// input-grad-op: see input-grad-op.h. Plain C++ loops that the compiler vectorizes over the panel columns
// (train.cmake gives this file the instruction set ggml-cpu is built for).
#include "train/input-grad-op.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__AVX512BF16__)
#include <immintrin.h>
#endif

namespace {

// A GEMM micro-kernel in GCC/Clang vector extensions: VL floats per register as the target allows.
#if defined(__AVX512F__)
constexpr int VL = 16, MRV = 4; // 4 x 16 columns x NR tokens = 24 of 32 zmm accumulators
#elif defined(__AVX__)
constexpr int VL = 8, MRV = 2;  // 2 x 8 x 6 = 12 of 16 ymm
#else
constexpr int VL = 4, MRV = 2;  // SSE2 / NEON
#endif
#if defined(__GNUC__) || defined(__clang__)
typedef float vf __attribute__((vector_size(VL * sizeof(float))));
#else
// MSVC has no vector extensions: the same arithmetic on a plain struct (its auto-vectorizer does the rest)
struct vf {
    float x[VL];
    vf operator+(float c) const { vf r; for (int i = 0; i < VL; ++i) r.x[i] = x[i] + c; return r; }
    vf operator*(const vf & o) const { vf r; for (int i = 0; i < VL; ++i) r.x[i] = x[i] * o.x[i]; return r; }
    vf & operator+=(const vf & o) { for (int i = 0; i < VL; ++i) x[i] += o.x[i]; return *this; }
};
#endif
constexpr int NR = 6;           // tokens per micro-tile (the switch in input_grad_op_compute covers 1..6)
constexpr int MR = MRV * VL;    // columns per micro-tile
constexpr int P  = 256;         // panel width: columns of W dequantized together (whole blocks)
constexpr int KC = 64;          // rows of W per panel: KC x P floats = 64 KiB of dequantized W (L2)

struct custom_params { // the layout ggml_custom_4d stores in op_params (struct ggml_custom_op_params)
    ggml_custom_op_t fun;
    int              n_tasks;
    void *           userdata;
};

// W[o, c0 .. c0+n) -> out (n floats); c0 and n are whole blocks
void row_to_float(const ggml_tensor * w, int64_t o, int64_t c0, int64_t n, float * out) {
    const char * row = (const char *) w->data + o * w->nb[1] + (c0 / ggml_blck_size(w->type)) * ggml_type_size(w->type);
    if (w->type == GGML_TYPE_F32) {
        memcpy(out, row, (size_t) n * sizeof(float));
    } else if (w->type == GGML_TYPE_Q8_0) {
        // the common case, inline so that it vectorizes with this file's flags: block = fp16 scale + 32 int8
        constexpr int QK = 32;
        const size_t bs = ggml_type_size(GGML_TYPE_Q8_0);
        for (int64_t b = 0; b < n / QK; ++b) {
            const char * blk = row + b * bs;
            ggml_fp16_t dh;
            memcpy(&dh, blk, sizeof(dh));
            const float d = ggml_fp16_to_fp32(dh);
            const int8_t * q = (const int8_t *) (blk + sizeof(ggml_fp16_t));
            for (int j = 0; j < QK; ++j) out[b * QK + j] = d * (float) q[j];
        }
    } else {
        ggml_get_type_traits(w->type)->to_float(row, out, n);
    }
}

inline vf load(const float * p) { vf v; memcpy(&v, p, sizeof(v)); return v; }
inline void store(float * p, vf v) { memcpy(p, &v, sizeof(v)); }

// d_j[0..MR) += sum_k cb[k][j] * w[k][0..MR) for NT tokens j (d_j = dx row of token j). Accumulators in
// registers across the k loop: per k, MRV loads of w and NT broadcasts for MRV * NT FMAs.
template <int NT>
void micro(float * const * d, const float * __restrict w, const float * __restrict cb, int kc) {
    vf acc[NT][MRV];
#pragma GCC unroll 8
    for (int j = 0; j < NT; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < MRV; ++v) acc[j][v] = load(d[j] + v * VL);
    for (int k = 0; k < kc; ++k) {
        vf x[MRV];
#pragma GCC unroll 4
        for (int v = 0; v < MRV; ++v) x[v] = load(w + (size_t) k * P + v * VL);
#pragma GCC unroll 8
        for (int j = 0; j < NT; ++j) {
            const vf b = vf{} + cb[k * NR + j]; // broadcast
#pragma GCC unroll 4
            for (int v = 0; v < MRV; ++v) acc[j][v] += b * x[v];
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NT; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < MRV; ++v) store(d[j] + v * VL, acc[j][v]);
}

// the same for the columns past the last whole micro-tile (n_cols < MR), one element at a time
void tail_cols(float * const * d, int nt, const float * w, const float * cb, int kc, int n_cols) {
    for (int j = 0; j < nt; ++j)
        for (int k = 0; k < kc; ++k) {
            const float c = cb[k * NR + j];
            for (int i = 0; i < n_cols; ++i) d[j][i] += c * w[(size_t) k * P + i];
        }
}

// float <-> bf16 (round to nearest even; the values here are finite)
inline uint16_t to_bf16(float f) { uint32_t u; memcpy(&u, &f, 4); u += 0x7fffu + ((u >> 16) & 1u); return (uint16_t) (u >> 16); }
inline float from_bf16(uint16_t h) { const uint32_t u = (uint32_t) h << 16; float f; memcpy(&f, &u, 4); return f; }

#if defined(__AVX512BF16__)
constexpr bool HAVE_BF16 = true;
// BF16 micro-kernel: VDPBF16PS multiplies PAIRS of rows of W (o, o+1) with pairs of dy coefficients and adds
// both products to an F32 accumulator: 32 products per instruction, twice the F32 FMA rate.
//   wb [kp][P][2] bf16 (rows 2kp and 2kp+1 of the panel, interleaved per column)
//   cbp[kp][NR]   bf16 pairs (dy[o0 + 2kp, t], dy[o0 + 2kp + 1, t]) as one 32-bit word
template <int NT>
void micro_bf16(float * const * d, const uint16_t * __restrict wb, const uint32_t * __restrict cbp, int n_kp) {
    static_assert(VL == 16 && MRV == 4, "the BF16 kernel is written for 4 zmm columns");
    __m512 acc[NT][MRV];
#pragma GCC unroll 8
    for (int j = 0; j < NT; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < MRV; ++v) acc[j][v] = _mm512_loadu_ps(d[j] + v * VL);
    for (int kp = 0; kp < n_kp; ++kp) {
        __m512bh x[MRV];
#pragma GCC unroll 4
        for (int v = 0; v < MRV; ++v) x[v] = (__m512bh) _mm512_loadu_si512((const void *) (wb + ((size_t) kp * P + v * VL) * 2));
#pragma GCC unroll 8
        for (int j = 0; j < NT; ++j) {
            const __m512bh b = (__m512bh) _mm512_set1_epi32((int) cbp[kp * NR + j]);
#pragma GCC unroll 4
            for (int v = 0; v < MRV; ++v) acc[j][v] = _mm512_dpbf16_ps(acc[j][v], x[v], b);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NT; ++j)
#pragma GCC unroll 4
        for (int v = 0; v < MRV; ++v) _mm512_storeu_ps(d[j] + v * VL, acc[j][v]);
}
#else
constexpr bool HAVE_BF16 = false;
#endif

// the BF16 path's columns past the last whole micro-tile, in scalar code on the same rounded values
void tail_cols_bf16(float * const * d, int nt, const uint16_t * wb, const uint32_t * cbp, int n_kp, int n_cols) {
    for (int j = 0; j < nt; ++j)
        for (int kp = 0; kp < n_kp; ++kp) {
            const float c0 = from_bf16((uint16_t) (cbp[kp * NR + j] & 0xffff)), c1 = from_bf16((uint16_t) (cbp[kp * NR + j] >> 16));
            for (int i = 0; i < n_cols; ++i) d[j][i] += c0 * from_bf16(wb[((size_t) kp * P + i) * 2]) + c1 * from_bf16(wb[((size_t) kp * P + i) * 2 + 1]);
        }
}

} // namespace

bool input_grad_op_uses_bf16(const ggml_tensor * w, input_grad_precision precision) {
    // F32 / F16 weights keep the exact F32 path (finite-difference checks run on F32 bases); quantized and
    // BF16 weights are rounded more coarsely than bf16 already (or are bf16)
    return HAVE_BF16 && precision == INPUT_GRAD_AUTO && w->type != GGML_TYPE_F32 && w->type != GGML_TYPE_F16;
}

bool input_grad_op_supports(const ggml_tensor * w, const ggml_tensor * dy) {
    const int64_t blck = ggml_blck_size(w->type);
    const bool convertible = w->type == GGML_TYPE_F32 || ggml_get_type_traits(w->type)->to_float != nullptr;
    return convertible && blck <= P && w->ne[0] % blck == 0 && w->ne[2] == 1 && w->ne[3] == 1 &&
           w->nb[0] == ggml_type_size(w->type) && !ggml_is_transposed(w) &&
           dy->type == GGML_TYPE_F32 && dy->nb[0] == sizeof(float) && dy->ne[0] == w->ne[1] && dy->ne[2] == 1 && dy->ne[3] == 1;
}

void input_grad_op_make(ggml_tensor * node, ggml_tensor * w, ggml_tensor * dy, input_grad_precision precision) {
    GGML_ASSERT(input_grad_op_supports(w, dy));
    GGML_ASSERT(node->type == GGML_TYPE_F32 && node->ne[0] == w->ne[0] && node->ne[1] == dy->ne[1] && ggml_is_contiguous(node));
    const custom_params p = { input_grad_op_compute, GGML_N_TASKS_MAX, (void *) (intptr_t) precision };
    static_assert(sizeof(p) <= GGML_MAX_OP_PARAMS, "custom op params do not fit");
    memset(node->op_params, 0, sizeof(node->op_params));
    memcpy(node->op_params, &p, sizeof(p));
    node->op     = GGML_OP_CUSTOM;
    node->src[0] = w;
    node->src[1] = dy;
    for (int i = 2; i < GGML_MAX_SRC; ++i) node->src[i] = nullptr;
}

void input_grad_op_compute(ggml_tensor * dst, int ith, int nth, void * userdata) {
    const ggml_tensor * w  = dst->src[0];
    const ggml_tensor * dy = dst->src[1];
    const int64_t n_in = w->ne[0], n_out = w->ne[1], n_tok = dy->ne[1];
    const int64_t blck = ggml_blck_size(w->type);
    const int64_t panel = (P / blck) * blck; // whole blocks per panel

    // this thread's columns: whole blocks, so that rows can be dequantized from the middle
    const int64_t n_blocks = n_in / blck;
    const int64_t c_begin = n_blocks * ith / nth * blck, c_end = n_blocks * (ith + 1) / nth * blck;

    static thread_local std::vector<float> wbuf_v; // KC x P dequantized W (64 KiB: kept per thread)
    wbuf_v.resize((size_t) KC * P);
    float * wbuf = wbuf_v.data();
    alignas(64) float cb[KC * NR];                 // coefficients dy[o0 + k, t0 + j]
    const bool bf16 = input_grad_op_uses_bf16(w, (input_grad_precision) (intptr_t) userdata);
    static thread_local std::vector<uint16_t> wb_v; // BF16 path: KC x P bf16, row pairs interleaved (32 KiB)
    if (bf16) wb_v.resize((size_t) KC * P);
    uint16_t * wb = wb_v.data();
    alignas(64) uint32_t cbp[KC / 2 * NR];          // BF16 path: coefficient pairs
    auto dx = [&](int64_t t) { return (float *) ((char *) dst->data + t * dst->nb[1]); };
    auto g  = [&](int64_t o, int64_t t) { return *(const float *) ((const char *) dy->data + t * dy->nb[1] + o * sizeof(float)); };

    for (int64_t c0 = c_begin; c0 < c_end; c0 += panel) {
        const int n = (int) std::min(panel, c_end - c0);
        for (int64_t t = 0; t < n_tok; ++t) memset(dx(t) + c0, 0, (size_t) n * sizeof(float));
        for (int64_t o0 = 0; o0 < n_out; o0 += KC) {
            // dequantize W[o0 .. o0+kc, c0 .. c0+n) once; used for every token below
            const int kc = (int) std::min<int64_t>(KC, n_out - o0);
            for (int k = 0; k < kc; ++k) row_to_float(w, o0 + k, c0, n, wbuf + (size_t) k * P);
            if (bf16) {
                const int n_kp = (kc + 1) / 2;
                for (int kp = 0; kp < n_kp; ++kp) {
                    const float * r0 = wbuf + (size_t) (2 * kp) * P;
                    const float * r1 = wbuf + (size_t) (2 * kp + 1) * P;
                    uint16_t * out = wb + (size_t) kp * P * 2;
                    const bool odd_end = 2 * kp + 1 >= kc; // a last unpaired row: its partner is 0
                    for (int i = 0; i < n; ++i) { out[2 * i] = to_bf16(r0[i]); out[2 * i + 1] = odd_end ? 0 : to_bf16(r1[i]); }
                }
                for (int64_t t0 = 0; t0 < n_tok; t0 += NR) {
                    const int nt = (int) std::min<int64_t>(NR, n_tok - t0);
                    for (int kp = 0; kp < n_kp; ++kp)
                        for (int j = 0; j < NR; ++j) {
                            const int k0 = 2 * kp, k1 = 2 * kp + 1;
                            const uint32_t lo = j < nt ? to_bf16(g(o0 + k0, t0 + j)) : 0;
                            const uint32_t hi = j < nt && k1 < kc ? to_bf16(g(o0 + k1, t0 + j)) : 0;
                            cbp[kp * NR + j] = lo | (hi << 16);
                        }
                    float * d[NR];
                    int i0 = 0;
#if defined(__AVX512BF16__)
                    for (; i0 + MR <= n; i0 += MR) {
                        for (int j = 0; j < nt; ++j) d[j] = dx(t0 + j) + c0 + i0;
                        switch (nt) {
                            case 6: micro_bf16<6>(d, wb + (size_t) i0 * 2, cbp, n_kp); break;
                            case 5: micro_bf16<5>(d, wb + (size_t) i0 * 2, cbp, n_kp); break;
                            case 4: micro_bf16<4>(d, wb + (size_t) i0 * 2, cbp, n_kp); break;
                            case 3: micro_bf16<3>(d, wb + (size_t) i0 * 2, cbp, n_kp); break;
                            case 2: micro_bf16<2>(d, wb + (size_t) i0 * 2, cbp, n_kp); break;
                            default: micro_bf16<1>(d, wb + (size_t) i0 * 2, cbp, n_kp); break;
                        }
                    }
#endif
                    if (i0 < n) {
                        for (int j = 0; j < nt; ++j) d[j] = dx(t0 + j) + c0 + i0;
                        tail_cols_bf16(d, nt, wb + (size_t) i0 * 2, cbp, n_kp, n - i0);
                    }
                }
                continue;
            }
            for (int64_t t0 = 0; t0 < n_tok; t0 += NR) {
                const int nt = (int) std::min<int64_t>(NR, n_tok - t0);
                for (int k = 0; k < kc; ++k) for (int j = 0; j < NR; ++j) cb[k * NR + j] = j < nt ? g(o0 + k, t0 + j) : 0.0f;
                float * d[NR];
                int i0 = 0;
                for (; i0 + MR <= n; i0 += MR) {
                    for (int j = 0; j < nt; ++j) d[j] = dx(t0 + j) + c0 + i0;
                    switch (nt) {
                        case 6: micro<6>(d, wbuf + i0, cb, kc); break;
                        case 5: micro<5>(d, wbuf + i0, cb, kc); break;
                        case 4: micro<4>(d, wbuf + i0, cb, kc); break;
                        case 3: micro<3>(d, wbuf + i0, cb, kc); break;
                        case 2: micro<2>(d, wbuf + i0, cb, kc); break;
                        default: micro<1>(d, wbuf + i0, cb, kc); break;
                    }
                }
                if (i0 < n) {
                    for (int j = 0; j < nt; ++j) d[j] = dx(t0 + j) + c0 + i0;
                    tail_cols(d, nt, wbuf + i0, cb, kc, n - i0);
                }
            }
        }
    }
}
