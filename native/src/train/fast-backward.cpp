// fast-backward: see fast-backward.h.
#include "train/fast-backward.h"

#include "errors.h"
#include "train/base-weights.h"
#include "train/cpu-bufts.h"
#include "train/input-grad-op.h"

#include <cstring>
#include <vector>

namespace {

ggml_type transposed_type(const ggml_tensor * w) {
    if (w->type == GGML_TYPE_F32 || w->type == GGML_TYPE_F16) return w->type;
    // Q8_0 needs rows (n_out) in blocks of 32; F16 otherwise
    return w->ne[1] % ggml_blck_size(GGML_TYPE_Q8_0) == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F16;
}

} // namespace

std::unique_ptr<fast_backward> fast_backward_init(const base_weights & base, const cpu_bufts & bufts, bool all_transposed) {
    // the matrices whose input gradient the graph needs: every projection below the tap, and the
    // attention projections of layer L (its FFN is not built)
    std::vector<ggml_tensor *> ws;
    for (size_t il = 0; il < base.layers.size(); ++il) {
        const base_layer & l = base.layers[il];
        for (ggml_tensor * w : { l.attn_q, l.attn_k, l.attn_v, l.attn_output }) ws.push_back(w);
        if (il + 1 < base.layers.size()) for (ggml_tensor * w : { l.ffn_gate, l.ffn_up, l.ffn_down }) ws.push_back(w);
    }

    auto fb = std::make_unique<fast_backward>();
    fb->plain = bufts.plain;

    // dequant in place where W's rows are readable (plain buffer) and the op takes W's type and shape
    // (probed with a one-token dy); the rest keep a transposed copy
    {
        std::vector<ggml_tensor *> need_copy;
        ggml_init_params ipd = { ggml_tensor_overhead() * (ws.size() + 1), nullptr, true };
        ggml_context_ptr probe_ctx(ggml_init(ipd));
        for (ggml_tensor * w : ws) {
            ggml_tensor * dy = ggml_new_tensor_2d(probe_ctx.get(), GGML_TYPE_F32, w->ne[1], 1);
            const bool plain = w->buffer && ggml_backend_buffer_get_type(w->buffer) == bufts.plain;
            if (!all_transposed && plain && input_grad_op_supports(w, dy)) fb->dequant.insert(w);
            else need_copy.push_back(w);
        }
        ws = need_copy;
    }
    std::vector<std::pair<ggml_backend_buffer_type_t, ggml_context *>> by_buft;
    for (ggml_tensor * w : ws) {
        ggml_init_params ipt = { ggml_tensor_overhead(), nullptr, true };
        ggml_context_ptr probe_ctx(ggml_init(ipt));
        ggml_tensor * probe = ggml_new_tensor_2d(probe_ctx.get(), transposed_type(w), w->ne[1], w->ne[0]);
        ggml_backend_buffer_type_t buft = bufts.for_matmul(probe);
        ggml_context * ctx = nullptr;
        for (auto & [b, c] : by_buft) if (b == buft) ctx = c;
        if (!ctx) {
            ggml_init_params ip = { ggml_tensor_overhead() * (ws.size() + 1), nullptr, true };
            fb->ctxs.emplace_back(ggml_init(ip));
            ctx = fb->ctxs.back().get();
            by_buft.push_back({ buft, ctx });
        }
        ggml_tensor * wt = ggml_new_tensor_2d(ctx, transposed_type(w), w->ne[1], w->ne[0]); // [n_out, n_in]
        ggml_format_name(wt, "%s.T", w->name);
        fb->transposed[w] = wt;
    }
    for (auto & [buft, ctx] : by_buft) {
        fb->bufs.emplace_back(ggml_backend_alloc_ctx_tensors_from_buft(ctx, buft));
        if (!fb->bufs.back()) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the transposed weights for the fast backward pass (out of memory?)");
    }

    // W (file type) -> f32 -> transpose -> Wt's type
    std::vector<uint8_t> raw;
    std::vector<float> f, ft;
    for (ggml_tensor * w : ws) {
        ggml_tensor * wt = fb->transposed[w];
        const int64_t n_in = w->ne[0], n_out = w->ne[1];
        raw = base_weights_read_raw(base, w->name);
        f.resize((size_t) n_in * n_out);
        if (w->type == GGML_TYPE_F32) memcpy(f.data(), raw.data(), raw.size());
        else ggml_get_type_traits(w->type)->to_float(raw.data(), f.data(), (int64_t) f.size());
        ft.resize(f.size());
        for (int64_t o = 0; o < n_out; ++o) {
            for (int64_t i = 0; i < n_in; ++i) ft[(size_t) i * n_out + o] = f[(size_t) o * n_in + i];
        }
        raw.resize(ggml_nbytes(wt));
        ggml_quantize_chunk(wt->type, ft.data(), raw.data(), 0, n_in, n_out, nullptr); // also converts to F32/F16
        ggml_backend_tensor_set(wt, raw.data(), 0, raw.size());
        fb->n_bytes += raw.size();
    }
    return fb;
}

int fast_backward_rewrite(const fast_backward & fb, ggml_cgraph * gf) {
    int n = 0;
    for (int i = 0; i < ggml_graph_n_nodes(gf); ++i) {
        ggml_tensor * node = ggml_graph_node(gf, i);
        if (node->op != GGML_OP_OUT_PROD || node->src[1] == nullptr || node->src[1]->op != GGML_OP_TRANSPOSE) continue;
        if (fb.dequant.count(node->src[0])) {
            ggml_tensor * w  = node->src[0];           // [n_in, n_out]
            ggml_tensor * dy = node->src[1]->src[0];   // [n_out, n_tokens]
            if (!input_grad_op_supports(w, dy) || !ggml_is_contiguous(node)) continue; // stays OUT_PROD (W is plain)
            // out_prod(W, dy^T): [n_in, n_tokens]  ==  input-grad-op(W, dy)
            GGML_ASSERT(node->ne[0] == w->ne[0] && node->ne[1] == dy->ne[1]);
            input_grad_op_make(node, w, dy);
            ++n;
            continue;
        }
        auto it = fb.transposed.find(node->src[0]);
        if (it == fb.transposed.end()) continue;
        ggml_tensor * wt = it->second;         // [n_out, n_in]
        ggml_tensor * dy = node->src[1]->src[0]; // [n_out, n_tokens]
        if (dy->type != GGML_TYPE_F32 || dy->nb[0] != sizeof(float) || dy->ne[2] != 1 || dy->ne[3] != 1) continue;
        // out_prod(W, dy^T): [n_in, n_tokens]  ==  mul_mat(Wt, dy): [n_in, n_tokens]
        GGML_ASSERT(node->ne[0] == wt->ne[1] && node->ne[1] == dy->ne[1] && wt->ne[0] == dy->ne[0]);
        node->op     = GGML_OP_MUL_MAT;
        node->src[0] = wt;
        node->src[1] = dy;
        memset(node->op_params, 0, sizeof(node->op_params));
        ++n;
    }
    for (int i = 0; i < ggml_graph_n_nodes(gf); ++i) {
        const ggml_tensor * node = ggml_graph_node(gf, i);
        const ggml_tensor * w = node->src[0];
        if (node->op == GGML_OP_OUT_PROD && w && w->buffer && ggml_backend_buffer_get_type(w->buffer) != fb.plain) {
            throw soo_error(SOO_ERROR_INTERNAL, std::string("fast-backward: an OUT_PROD on '") + w->name + "' is left, but it is stored in a repacked layout");
        }
    }
    return n;
}
