// graph-llama: see graph-llama.h. Read graph_llama_build top to bottom, like llm.c's gpt2_forward.
#include "train/graph-llama.h"

#include "lora/lora-io.h"
#include "train/base-weights.h"

#include <cmath>
#include <string>

namespace {

// y = W x (+ bias) + (alpha/r) * B (A drop(x)), the same structure as llama.cpp's build_lora_mm.
//   w: [n_in, n_out] frozen, any type;  x: [n_in, n_tokens];  returns [n_out, n_tokens]
ggml_tensor * lora_mm(ggml_context * ctx, const lora_weights * lora, const graph_llama_inputs & in,
                      ggml_tensor * w, ggml_tensor * bias, ggml_tensor * x) {
    ggml_tensor * y = ggml_mul_mat(ctx, w, x);                     // [n_out, n_tokens]
    if (bias) y = ggml_add(ctx, y, bias);
    if (!lora) return y;
    // w's name is "blk.N.<target>.weight": the adapter pair, if this weight is adapted
    for (size_t i = 0; i < lora->tensors.size(); ++i) {
        const lora_tensor & lt = lora->tensors[i];
        if (lt.weight != w->name) continue;
        ggml_tensor * xd = in.dropout.empty() ? x : ggml_mul(ctx, x, in.dropout[i]); // [n_in, n_tokens]
        ggml_tensor * ax = ggml_mul_mat(ctx, lt.a, xd);                              // [r, n_tokens]
        ggml_tensor * bax = ggml_mul_mat(ctx, lt.b, ax);                             // [n_out, n_tokens]
        y = ggml_add(ctx, y, ggml_scale(ctx, bax, lora->scale()));
    }
    return y;
}

void name_node(ggml_tensor * t, const char * what, int il) {
    ggml_format_name(t, "%s-%d", what, il);
}

} // namespace

graph_llama_inputs graph_llama_new_inputs(ggml_context * ctx, const lora_weights * lora, int64_t n_self, int64_t n_other, bool dropout) {
    graph_llama_inputs in;
    in.n_self  = n_self;
    in.n_other = n_other;
    const int64_t n_tokens = in.n_tokens();
    in.tokens  = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, n_tokens);
    in.pos     = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, n_tokens);
    in.kq_mask = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_tokens, n_tokens);
    ggml_set_name(in.tokens, "inp_tokens");
    ggml_set_name(in.pos, "inp_pos");
    ggml_set_name(in.kq_mask, "kq_mask");
    ggml_set_input(in.tokens);
    ggml_set_input(in.pos);
    ggml_set_input(in.kq_mask);
    if (dropout && lora) {
        for (const lora_tensor & lt : lora->tensors) {
            ggml_tensor * m = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, lt.a->ne[0], n_tokens); // [n_in, n_tokens]
            ggml_format_name(m, "dropout-%d-%s", lt.layer, lt.target.c_str());
            ggml_set_input(m);
            in.dropout.push_back(m);
        }
    }
    return in;
}

void graph_llama_set_inputs(const graph_llama_inputs & in, const std::vector<int32_t> & self, const std::vector<int32_t> & other) {
    GGML_ASSERT((int64_t) self.size() == in.n_self && (int64_t) other.size() == in.n_other);
    const int64_t n = in.n_tokens();
    std::vector<int32_t> tokens(self), pos(n);
    tokens.insert(tokens.end(), other.begin(), other.end());
    for (int64_t i = 0; i < n; ++i) pos[i] = (int32_t) (i < in.n_self ? i : i - in.n_self);
    // mask row iq (query) over columns ik (keys): visible iff same sequence and ik <= iq
    std::vector<float> mask((size_t) n * n);
    for (int64_t iq = 0; iq < n; ++iq) {
        for (int64_t ik = 0; ik < n; ++ik) {
            const bool same_seq = (iq < in.n_self) == (ik < in.n_self);
            mask[(size_t) iq * n + ik] = same_seq && ik <= iq ? 0.0f : -INFINITY;
        }
    }
    ggml_backend_tensor_set(in.tokens, tokens.data(), 0, ggml_nbytes(in.tokens));
    ggml_backend_tensor_set(in.pos, pos.data(), 0, ggml_nbytes(in.pos));
    ggml_backend_tensor_set(in.kq_mask, mask.data(), 0, ggml_nbytes(in.kq_mask));
}

graph_llama_taps graph_llama_build(ggml_context * ctx, const base_weights & base, const lora_weights * lora, const graph_llama_inputs & in) {
    const base_hparams & hp = base.hp;
    const int64_t n_embd      = hp.n_embd;
    const int64_t n_embd_head = hp.n_embd_head;
    const int64_t n_head      = hp.n_head;
    const int64_t n_head_kv   = hp.n_head_kv;
    const int64_t n_tokens    = in.n_tokens();
    const int     n_last      = (int) base.n_layer_loaded - 1;
    const float   kq_scale    = 1.0f / std::sqrt((float) n_embd_head);

    // [n_embd, n_tokens]
    ggml_tensor * inpL = ggml_get_rows(ctx, base.tok_embd, in.tokens);
    ggml_set_name(inpL, "inp_embd");
    graph_llama_taps taps;

    for (int il = 0; il <= n_last; ++il) {
        const base_layer & layer = base.layers[il];

        // [n_embd, n_tokens]
        ggml_tensor * cur = ggml_rms_norm(ctx, inpL, hp.rms_eps);
        cur = ggml_mul(ctx, cur, layer.attn_norm);
        name_node(cur, "attn_norm", il);

        // q: [n_embd, n_tokens], k, v: [n_embd_kv, n_tokens]
        ggml_tensor * q = lora_mm(ctx, lora, in, layer.attn_q, layer.attn_q_b, cur);
        ggml_tensor * k = lora_mm(ctx, lora, in, layer.attn_k, layer.attn_k_b, cur);
        ggml_tensor * v = lora_mm(ctx, lora, in, layer.attn_v, layer.attn_v_b, cur);

        // q: [n_embd_head, n_head, n_tokens], k: [n_embd_head, n_head_kv, n_tokens]
        q = ggml_reshape_3d(ctx, q, n_embd_head, n_head, n_tokens);
        k = ggml_reshape_3d(ctx, k, n_embd_head, n_head_kv, n_tokens);
        q = ggml_rope_ext(ctx, q, in.pos, base.rope_freqs, (int) hp.n_rot, hp.rope_type, 0,
                          hp.rope_freq_base, hp.rope_freq_scale, 0.0f, 1.0f, 32.0f, 1.0f);
        k = ggml_rope_ext(ctx, k, in.pos, base.rope_freqs, (int) hp.n_rot, hp.rope_type, 0,
                          hp.rope_freq_base, hp.rope_freq_scale, 0.0f, 1.0f, 32.0f, 1.0f);
        name_node(q, "Qcur", il);
        name_node(k, "Kcur", il);

        // PyTorch: q.transpose(1, 2) -> heads first.  q: [n_embd_head, n_tokens, n_head], k: [.., n_head_kv]
        q = ggml_permute(ctx, q, 0, 2, 1, 3);
        k = ggml_permute(ctx, k, 0, 2, 1, 3);

        // kq[ik, iq, h] = k_ik . q_iq  (GQA: k's heads broadcast over q's): [n_tokens (keys), n_tokens (queries), n_head]
        ggml_tensor * kq = ggml_mul_mat(ctx, k, q);
        kq = ggml_soft_max_ext(ctx, kq, in.kq_mask, kq_scale, 0.0f);
        GGML_ASSERT(kq->ne[0] == n_tokens && kq->ne[1] == n_tokens && kq->ne[2] == n_head);

        // vt: [n_tokens, n_embd_head, n_head_kv]  (v per head, transposed so tokens are the dot axis)
        ggml_tensor * vt = ggml_cont(ctx, ggml_permute(ctx, ggml_reshape_3d(ctx, v, n_embd_head, n_head_kv, n_tokens), 1, 2, 0, 3));
        // kqv: [n_embd_head, n_tokens, n_head] -> heads back inside each token: [n_embd, n_tokens]
        ggml_tensor * kqv = ggml_mul_mat(ctx, vt, kq);
        cur = ggml_cont_2d(ctx, ggml_permute(ctx, kqv, 0, 2, 1, 3), n_embd, n_tokens);
        name_node(cur, "kqv_out", il);

        // o_proj: [n_embd, n_tokens]
        cur = lora_mm(ctx, lora, in, layer.attn_output, nullptr, cur);
        name_node(cur, "attn_out", il);
        GGML_ASSERT(cur->ne[0] == n_embd && cur->ne[1] == n_tokens);
        taps.attn_out = cur;

        // residual, then SwiGLU FFN: [n_embd, n_tokens]
        ggml_tensor * ffn_inp = ggml_add(ctx, cur, inpL);
        name_node(ffn_inp, "ffn_inp", il);
        cur = ggml_rms_norm(ctx, ffn_inp, hp.rms_eps);
        cur = ggml_mul(ctx, cur, layer.ffn_norm);
        name_node(cur, "ffn_norm", il);
        ggml_tensor * gate = lora_mm(ctx, lora, in, layer.ffn_gate, nullptr, cur); // [n_ff, n_tokens]
        ggml_tensor * up   = lora_mm(ctx, lora, in, layer.ffn_up,   nullptr, cur); // [n_ff, n_tokens]
        cur = ggml_swiglu_split(ctx, gate, up);                                    // silu(gate) * up
        cur = lora_mm(ctx, lora, in, layer.ffn_down, nullptr, cur);               // [n_embd, n_tokens]
        name_node(cur, "ffn_out", il);
        taps.ffn_out = cur;

        inpL = ggml_add(ctx, cur, ffn_inp);
        name_node(inpL, "l_out", il);
        taps.l_out = inpL;
    }
    return taps; // those of layer L: the loop's last
}
