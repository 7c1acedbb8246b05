// lm-graph: see lm-graph.h. Read lm_graph_build top to bottom, like llm.c's gpt2_forward.
#include "lm/lm-graph.h"

#include "lm/lm-model.h"

#include <cmath>

namespace {

void name_node(ggml_tensor * t, const char * what, int il) { ggml_format_name(t, "%s-%d", what, il); }

const float CE_LOG_EPS = 1e-30f; // see lm-graph.h

} // namespace

lm_graph lm_graph_build(ggml_context * ctx, const lm_model & m, int64_t T, int64_t B) {
    const base_hparams & hp = m.hp;
    const int64_t n_embd = hp.n_embd, hd = hp.n_embd_head, n_head = hp.n_head, n_vocab = hp.n_vocab;
    const int64_t N = T * B;
    const float   kq_scale = 1.0f / std::sqrt((float) hd);

    lm_graph g;
    lm_graph_inputs & in = g.in;
    in.T = T;
    in.B = B;
    in.tokens  = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, N);
    in.pos     = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, T);
    in.kq_mask = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, T, T);
    in.target  = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, N);
    in.weight  = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 1, N);
    ggml_set_name(in.tokens, "inp_tokens");
    ggml_set_name(in.pos, "inp_pos");
    ggml_set_name(in.kq_mask, "kq_mask");
    ggml_set_name(in.target, "inp_target");
    ggml_set_name(in.weight, "inp_weight");
    for (ggml_tensor * t : { in.tokens, in.pos, in.kq_mask, in.target, in.weight }) ggml_set_input(t);

    // [n_embd, N]
    ggml_tensor * inpL = ggml_get_rows(ctx, m.tok_embd, in.tokens);
    ggml_set_name(inpL, "inp_embd");

    for (int il = 0; il < (int) hp.n_layer; ++il) {
        const lm_layer & L = m.layers[il];

        // [n_embd, N]
        ggml_tensor * cur = ggml_mul(ctx, ggml_rms_norm(ctx, inpL, hp.rms_eps), L.attn_norm);
        name_node(cur, "attn_norm", il);

        // q, k: [hd, n_head, T, B] with RoPE at positions 0..T-1 of each sequence
        ggml_tensor * q = ggml_reshape_4d(ctx, ggml_mul_mat(ctx, L.attn_q, cur), hd, n_head, T, B);
        ggml_tensor * k = ggml_reshape_4d(ctx, ggml_mul_mat(ctx, L.attn_k, cur), hd, n_head, T, B);
        ggml_tensor * v = ggml_reshape_4d(ctx, ggml_mul_mat(ctx, L.attn_v, cur), hd, n_head, T, B);
        q = ggml_rope_ext(ctx, q, in.pos, nullptr, (int) hp.n_rot, hp.rope_type, 0, hp.rope_freq_base, hp.rope_freq_scale,
                          0.0f, 1.0f, 32.0f, 1.0f);
        k = ggml_rope_ext(ctx, k, in.pos, nullptr, (int) hp.n_rot, hp.rope_type, 0, hp.rope_freq_base, hp.rope_freq_scale,
                          0.0f, 1.0f, 32.0f, 1.0f);
        name_node(q, "Qcur", il);
        name_node(k, "Kcur", il);

        // heads first (PyTorch's transpose(1, 2)): [hd, T, n_head, B], contiguous so that kq and its
        // backward run on ggml-cpu's GEMM instead of its strided fallback (measured ~4x on the demo shape)
        q = ggml_cont(ctx, ggml_permute(ctx, q, 0, 2, 1, 3));
        k = ggml_cont(ctx, ggml_permute(ctx, k, 0, 2, 1, 3));
        // kq[ik, iq, h, b] = k . q: [T (keys), T (queries), n_head, B]; causal softmax over keys
        ggml_tensor * kq = ggml_mul_mat(ctx, k, q);
        kq = ggml_soft_max_ext(ctx, kq, in.kq_mask, kq_scale, 0.0f);
        // vt: [T, hd, n_head, B] (tokens become the dot axis); kqv: [hd, T, n_head, B]
        ggml_tensor * vt  = ggml_cont(ctx, ggml_permute(ctx, v, 1, 2, 0, 3));
        ggml_tensor * kqv = ggml_mul_mat(ctx, vt, kq);
        // heads back inside each token: [hd, n_head, T, B] -> [n_embd, N]
        cur = ggml_cont_2d(ctx, ggml_permute(ctx, kqv, 0, 2, 1, 3), n_embd, N);
        name_node(cur, "kqv_out", il);

        cur = ggml_mul_mat(ctx, L.attn_out, cur); // [n_embd, N]
        name_node(cur, "attn_out", il);
        ggml_tensor * ffn_inp = ggml_add(ctx, cur, inpL);

        // SwiGLU FFN: [n_embd, N] -> [n_ff, N] -> [n_embd, N]
        cur = ggml_mul(ctx, ggml_rms_norm(ctx, ffn_inp, hp.rms_eps), L.ffn_norm);
        ggml_tensor * gate = ggml_mul_mat(ctx, L.ffn_gate, cur);
        ggml_tensor * up   = ggml_mul_mat(ctx, L.ffn_up, cur);
        cur = ggml_mul_mat(ctx, L.ffn_down, ggml_swiglu_split(ctx, gate, up));
        name_node(cur, "ffn_out", il);

        inpL = ggml_add(ctx, cur, ffn_inp);
        name_node(inpL, "l_out", il);
    }

    // head: [n_embd, N] -> logits [n_vocab, N]
    ggml_tensor * cur = ggml_mul(ctx, ggml_rms_norm(ctx, inpL, hp.rms_eps), m.output_norm);
    ggml_set_name(cur, "result_norm");
    g.logits = ggml_mul_mat(ctx, m.output, cur);
    ggml_set_name(g.logits, "result_output");

    // loss: the target's probability per row, gathered from the flat [1, n_vocab*N] view of the softmax
    ggml_tensor * probs = ggml_soft_max(ctx, g.logits);                                    // [n_vocab, N]
    ggml_tensor * flat  = ggml_reshape_2d(ctx, probs, 1, n_vocab * N);                      // [1, n_vocab*N] view
    // Without this flag ggml-alloc recycles `probs` (through this view) before SOFT_MAX_BACK reads it, and
    // every gradient is garbage (found by test-lm gradcheck). Costs nothing: probs must live until then anyway.
    ggml_set_output(flat);
    ggml_tensor * p_t   = ggml_get_rows(ctx, flat, in.target);                                // [1, N]
    ggml_tensor * ce    = ggml_scale(ctx, ggml_log(ctx, ggml_scale_bias(ctx, p_t, 1.0f, CE_LOG_EPS)), -1.0f); // [1, N]
    g.loss = ggml_sum(ctx, ggml_mul(ctx, ce, in.weight));                                   // [1]
    ggml_set_name(g.loss, "loss");
    return g;
}

lm_batch lm_batch_make(const std::vector<const std::vector<int32_t> *> & tokens, const std::vector<const std::vector<float> *> & weights,
                       int64_t n_vocab, int64_t pad_multiple) {
    lm_batch b;
    b.B = (int64_t) tokens.size();
    for (const auto * t : tokens) b.T = std::max<int64_t>(b.T, (int64_t) t->size());
    b.T = (b.T + pad_multiple - 1) / pad_multiple * pad_multiple;
    const int64_t N = b.T * b.B;
    b.tokens.assign(N, 0);
    b.target.resize(N);
    b.weight.assign(N, 0.0f);
    for (int64_t s = 0; s < b.B; ++s) {
        const std::vector<int32_t> & tk = *tokens[s];
        const std::vector<float> &   w  = *weights[s];
        const int64_t n = (int64_t) tk.size();
        b.n_tokens += n;
        for (int64_t t = 0; t < b.T; ++t) {
            const int64_t r = t + b.T * s;
            if (t < n) b.tokens[r] = tk[t];
            // row r predicts token t+1; padding rows point at vocab entry 0 of their own row with weight 0
            const bool real = t + 1 < n;
            b.target[r] = (int32_t) (r * n_vocab + (real ? tk[t + 1] : 0));
            if (real) { b.weight[r] = w[t + 1]; b.weight_sum += w[t + 1]; }
        }
    }
    if (b.weight_sum > 0) for (float & x : b.weight) x = (float) (x / b.weight_sum);
    return b;
}

void lm_graph_set_inputs(const lm_graph_inputs & in, const lm_batch & b) {
    GGML_ASSERT(b.T == in.T && b.B == in.B);
    std::vector<int32_t> pos(in.T);
    for (int64_t t = 0; t < in.T; ++t) pos[t] = (int32_t) t;
    // mask row iq (query) over columns ik (keys): visible iff ik <= iq
    std::vector<float> mask((size_t) (in.T * in.T));
    for (int64_t iq = 0; iq < in.T; ++iq)
        for (int64_t ik = 0; ik < in.T; ++ik) mask[(size_t) (iq * in.T + ik)] = ik <= iq ? 0.0f : -INFINITY;
    ggml_backend_tensor_set(in.tokens, b.tokens.data(), 0, ggml_nbytes(in.tokens));
    ggml_backend_tensor_set(in.pos, pos.data(), 0, ggml_nbytes(in.pos));
    ggml_backend_tensor_set(in.kq_mask, mask.data(), 0, ggml_nbytes(in.kq_mask));
    ggml_backend_tensor_set(in.target, b.target.data(), 0, ggml_nbytes(in.target));
    ggml_backend_tensor_set(in.weight, b.weight.data(), 0, ggml_nbytes(in.weight));
}
