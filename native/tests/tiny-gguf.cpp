// tiny-gguf: see tiny-gguf.h.
#include "tiny-gguf.h"

#include "ggml-cpp.h"
#include "gguf.h"
#include "train/rng.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace {

std::vector<float> randn(train_rng & rng, size_t n, float mean, float sd) {
    std::vector<float> v(n);
    for (float & x : v) { // Box-Muller
        const float u1 = std::max(rng.uniform(), 1e-7f), u2 = rng.uniform();
        x = mean + sd * std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
    }
    return v;
}

} // namespace

void tiny_gguf_write(const std::string & path, const tiny_gguf_params & p) {
    const std::string a = p.arch + ".";
    gguf_context_ptr g(gguf_init_empty());
    gguf_set_val_str(g.get(), "general.architecture", p.arch.c_str());
    gguf_set_val_str(g.get(), "general.name", "soo-lab tiny test model");
    gguf_set_val_u32(g.get(), (a + "block_count").c_str(), (uint32_t) p.n_layer);
    gguf_set_val_u32(g.get(), (a + "context_length").c_str(), 512);
    gguf_set_val_u32(g.get(), (a + "embedding_length").c_str(), (uint32_t) p.n_embd);
    gguf_set_val_u32(g.get(), (a + "feed_forward_length").c_str(), (uint32_t) p.n_ff);
    gguf_set_val_u32(g.get(), (a + "attention.head_count").c_str(), (uint32_t) p.n_head);
    gguf_set_val_u32(g.get(), (a + "attention.head_count_kv").c_str(), (uint32_t) p.n_head_kv);
    gguf_set_val_f32(g.get(), (a + "attention.layer_norm_rms_epsilon").c_str(), 1e-5f);
    gguf_set_val_f32(g.get(), (a + "rope.freq_base").c_str(), 10000.0f);

    const int64_t e = p.n_embd, kv = p.n_embd / p.n_head * p.n_head_kv, ff = p.n_ff;
    struct spec { std::string name; int64_t ne0, ne1; bool matrix; float mean, sd; };
    std::vector<spec> specs = { { "token_embd.weight", e, p.n_vocab, true, 0.0f, 1.0f } };
    for (int64_t il = 0; il < p.n_layer; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        specs.push_back({ b + "attn_norm.weight",   e,  1,  false, 1.0f, 0.1f });
        specs.push_back({ b + "attn_q.weight",      e,  e,  true,  0.0f, 1.0f / std::sqrt((float) e) });
        specs.push_back({ b + "attn_k.weight",      e,  kv, true,  0.0f, 1.0f / std::sqrt((float) e) });
        specs.push_back({ b + "attn_v.weight",      e,  kv, true,  0.0f, 1.0f / std::sqrt((float) e) });
        specs.push_back({ b + "attn_output.weight", e,  e,  true,  0.0f, 1.0f / std::sqrt((float) e) });
        if (p.arch == "qwen2") {
            specs.push_back({ b + "attn_q.bias", e,  1, false, 0.0f, 0.1f });
            specs.push_back({ b + "attn_k.bias", kv, 1, false, 0.0f, 0.1f });
            specs.push_back({ b + "attn_v.bias", kv, 1, false, 0.0f, 0.1f });
        }
        specs.push_back({ b + "ffn_norm.weight",    e,  1,  false, 1.0f, 0.1f });
        specs.push_back({ b + "ffn_gate.weight",    e,  ff, true,  0.0f, 1.0f / std::sqrt((float) e) });
        specs.push_back({ b + "ffn_up.weight",      e,  ff, true,  0.0f, 1.0f / std::sqrt((float) e) });
        specs.push_back({ b + "ffn_down.weight",    ff, e,  true,  0.0f, 1.0f / std::sqrt((float) ff) });
    }
    specs.push_back({ "output_norm.weight", e, 1, false, 1.0f, 0.0f });

    size_t bytes = 0;
    for (const spec & s : specs) bytes += (size_t) s.ne0 * s.ne1 * sizeof(float) + ggml_tensor_overhead() + 64;
    ggml_init_params ip = { bytes, nullptr, false };
    ggml_context_ptr ctx(ggml_init(ip));
    train_rng rng(p.seed);
    const bool twin = p.twin_of != GGML_TYPE_COUNT;
    for (const spec & s : specs) {
        const std::vector<float> v = randn(rng, (size_t) s.ne0 * s.ne1, s.mean, s.sd);
        const ggml_type qtype = twin ? p.twin_of : p.type;
        const bool quantize = s.matrix && qtype != GGML_TYPE_F32;
        ggml_tensor * t = s.ne1 == 1 ? ggml_new_tensor_1d(ctx.get(), GGML_TYPE_F32, s.ne0)
                                     : ggml_new_tensor_2d(ctx.get(), quantize && !twin ? qtype : GGML_TYPE_F32, s.ne0, s.ne1);
        ggml_set_name(t, s.name.c_str());
        if (!quantize) {
            memcpy(t->data, v.data(), ggml_nbytes(t));
        } else {
            std::vector<uint8_t> q(ggml_row_size(qtype, s.ne0) * s.ne1);
            ggml_quantize_chunk(qtype, v.data(), q.data(), 0, s.ne1, s.ne0, nullptr);
            if (twin) ggml_get_type_traits(qtype)->to_float(q.data(), (float *) t->data, s.ne0 * s.ne1);
            else      memcpy(t->data, q.data(), q.size());
        }
        gguf_add_tensor(g.get(), t);
    }
    GGML_ASSERT(gguf_write_to_file(g.get(), path.c_str(), false));
}
