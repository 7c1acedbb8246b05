// lm-fast-backward: see lm-fast-backward.h.
#include "lm/lm-fast-backward.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace {

// dst = src^T over dims 0 and 1, per (i2, i3) plane: dst[x + y*a1] = src(y, x) with src read through its
// byte strides (any view). 32x32 tiles keep both sides in cache; threads take whole tiles. ggml's own
// cont(transpose(v)) walks element by element with index arithmetic (~4x slower on [4096, 344]).
void transpose_op(ggml_tensor * dst, int ith, int nth, void *) {
    const ggml_tensor * src = dst->src[0];
    const int64_t a0 = src->ne[0], a1 = src->ne[1], T = 32;
    const int64_t tiles0 = (a0 + T - 1) / T, tiles1 = (a1 + T - 1) / T;
    const int64_t n_tiles = tiles0 * tiles1 * src->ne[2] * src->ne[3];
    for (int64_t t = ith; t < n_tiles; t += nth) {
        const int64_t i3 = t / (tiles0 * tiles1 * src->ne[2]);
        const int64_t i2 = (t / (tiles0 * tiles1)) % src->ne[2];
        const int64_t y0 = ((t / tiles1) % tiles0) * T, x0 = (t % tiles1) * T;
        const char * s = (const char *) src->data + i2 * src->nb[2] + i3 * src->nb[3];
        float * d = (float *) ((char *) dst->data + i2 * dst->nb[2] + i3 * dst->nb[3]);
        const int64_t y1 = std::min(y0 + T, a0), x1 = std::min(x0 + T, a1);
        for (int64_t y = y0; y < y1; ++y) {
            for (int64_t x = x0; x < x1; ++x) d[y * a1 + x] = *(const float *) (s + y * src->nb[0] + x * src->nb[1]);
        }
    }
}

// T(v): v^T as a contiguous tensor, reusing the source of a transpose view when that is contiguous, and
// one copy per v (the input of attn_q/k/v, and of ffn_gate/up, feeds three and two weight gradients).
ggml_tensor * transposed(ggml_context * ctx, ggml_tensor * v, std::map<ggml_tensor *, ggml_tensor *> & cache) {
    if (v->op == GGML_OP_TRANSPOSE && ggml_is_contiguous(v->src[0])) return v->src[0];
    auto it = cache.find(v);
    if (it != cache.end()) return it->second;
    ggml_tensor * args[1] = { v };
    ggml_tensor * t = ggml_custom_4d(ctx, GGML_TYPE_F32, v->ne[1], v->ne[0], v->ne[2], v->ne[3], args, 1, transpose_op, GGML_N_TASKS_MAX, nullptr);
    ggml_format_name(t, "%.40s^T", v->name);
    return cache[v] = t;
}

} // namespace

ggml_cgraph * lm_fast_backward_rewrite(ggml_context * ctx, ggml_cgraph * gf, size_t graph_size, int * n_rewritten) {
    int n = 0;
    std::map<ggml_tensor *, ggml_tensor *> cache;
    const int n_nodes = ggml_graph_n_nodes(gf);
    for (int i = 0; i < n_nodes; ++i) {
        ggml_tensor * node = ggml_graph_node(gf, i);
        if (node->op != GGML_OP_OUT_PROD || node->type != GGML_TYPE_F32 || !ggml_is_contiguous(node)) continue;
        ggml_tensor * a = node->src[0], * b = node->src[1];
        if (a->type != GGML_TYPE_F32 || b->type != GGML_TYPE_F32) continue;
        // out_prod: node [a.ne0, b.ne0, b.ne2, b.ne3] (a broadcast over dims 2, 3)
        ggml_tensor * at = transposed(ctx, a, cache); // [k, a.ne0, ...]
        ggml_tensor * bt = transposed(ctx, b, cache); // [k, b.ne0, ...]
        GGML_ASSERT(at->ne[0] == bt->ne[0] && at->ne[1] == node->ne[0] && bt->ne[1] == node->ne[1]);
        GGML_ASSERT(bt->ne[2] == node->ne[2] && bt->ne[3] == node->ne[3] && bt->ne[2] % at->ne[2] == 0 && bt->ne[3] % at->ne[3] == 0);
        node->op     = GGML_OP_MUL_MAT;
        node->src[0] = at;
        node->src[1] = bt;
        memset(node->op_params, 0, sizeof(node->op_params));
        ++n;
    }
    // re-expand in the old order: every node's (new) sources are visited before it
    ggml_cgraph * out = ggml_new_graph_custom(ctx, graph_size, false);
    for (int i = 0; i < n_nodes; ++i) ggml_build_forward_expand(out, ggml_graph_node(gf, i));
    if (n_rewritten) *n_rewritten = n;
    return out;
}
