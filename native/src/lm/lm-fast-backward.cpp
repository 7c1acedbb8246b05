// lm-fast-backward: see lm-fast-backward.h.
#include "lm/lm-fast-backward.h"

#include <cstring>
#include <map>

namespace {

// T(v): v^T as a contiguous tensor, reusing the source of a transpose view when that is contiguous, and
// one copy per v (the input of attn_q/k/v, and of ffn_gate/up, feeds three and two weight gradients).
ggml_tensor * transposed(ggml_context * ctx, ggml_tensor * v, std::map<ggml_tensor *, ggml_tensor *> & cache) {
    if (v->op == GGML_OP_TRANSPOSE && ggml_is_contiguous(v->src[0])) return v->src[0];
    auto it = cache.find(v);
    if (it != cache.end()) return it->second;
    return cache[v] = ggml_cont(ctx, ggml_transpose(ctx, v));
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
