// lm-model: see lm-model.h.
#include "lm/lm-model.h"

#include "errors.h"

#include <cstdio>
#include <fstream>

namespace {

[[noreturn]] void throw_bad(const std::string & path, const std::string & what) {
    throw soo_error(SOO_ERROR_BAD_INPUT, "'" + path + "': " + what, path);
}

std::string shape_str(const ggml_tensor * t) {
    std::string s = "[";
    for (int i = 0; i < ggml_n_dims(t); ++i) s += (i ? ", " : "") + std::to_string(t->ne[i]);
    return s + "]";
}

// The tensor `name` with ne = {ne0, ne1}; throws bad_input naming it when missing or of another shape.
ggml_tensor * want(const lm_model & m, const std::string & name, int64_t ne0, int64_t ne1) {
    ggml_tensor * t = m.find(name);
    if (!t) throw_bad(m.path, "tensor '" + name + "' is missing");
    if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1) {
        throw_bad(m.path, "tensor '" + name + "' has shape " + shape_str(t) + ", expected [" + std::to_string(ne0) +
                          (ne1 > 1 ? ", " + std::to_string(ne1) : "") + "]");
    }
    return t;
}

int64_t kv_context_length(const gguf_context * g, const std::string & arch) {
    const int64_t id = gguf_find_key(g, (arch + ".context_length").c_str());
    if (id < 0) return 0;
    switch (gguf_get_kv_type(g, id)) {
        case GGUF_TYPE_UINT32: return gguf_get_val_u32(g, id);
        case GGUF_TYPE_INT32:  return gguf_get_val_i32(g, id);
        case GGUF_TYPE_UINT64: return (int64_t) gguf_get_val_u64(g, id);
        case GGUF_TYPE_INT64:  return gguf_get_val_i64(g, id);
        default:               return 0;
    }
}

} // namespace

ggml_tensor * lm_model::find(const std::string & name) const {
    for (ggml_tensor * t : tensors) if (name == t->name) return t;
    return nullptr;
}

std::unique_ptr<lm_model> lm_model_load(const std::string & path, ggml_backend_buffer_type_t buft) {
    // 1. metadata: base_weights validates the llama hyper-parameters (and names the file on failure)
    auto m  = std::make_unique<lm_model>();
    m->path = path;
    m->hp   = base_weights_read_hparams(path, -1);
    const base_hparams & hp = m->hp;
    if (hp.arch != BASE_ARCH_LLAMA) throw_bad(path, "architecture '" + hp.arch_name + "' is not supported by trainLm (supported: llama)");
    if (hp.n_head_kv != hp.n_head) {
        throw_bad(path, "n_head_kv = " + std::to_string(hp.n_head_kv) + " differs from n_head = " + std::to_string(hp.n_head) +
                        ": trainLm supports multi-head attention only (no GQA)");
    }
    if (hp.n_rot != hp.n_embd_head) throw_bad(path, "partial RoPE (rope.dimension_count != head size) is not supported by trainLm");

    ggml_context * ctx_meta = nullptr;
    gguf_init_params gp = { /*no_alloc*/ true, &ctx_meta };
    m->meta.reset(gguf_init_from_file(path.c_str(), gp));
    if (!m->meta) throw_bad(path, "cannot open or parse as GGUF");
    m->ctx.reset(ctx_meta);
    m->n_ctx = kv_context_length(m->meta.get(), hp.arch_name);
    if (m->n_ctx <= 0) throw_bad(path, "missing metadata key '" + hp.arch_name + ".context_length'");

    for (int64_t i = 0; i < gguf_get_n_tensors(m->meta.get()); ++i) {
        ggml_tensor * t = ggml_get_tensor(ctx_meta, gguf_get_tensor_name(m->meta.get(), i));
        GGML_ASSERT(t);
        if (t->type != GGML_TYPE_F32) {
            throw_bad(path, "tensor '" + std::string(t->name) + "' is " + ggml_type_name(t->type) +
                            ": trainLm needs an F32 model (write it with type f32)");
        }
        if (std::string(t->name) == "rope_freqs.weight") throw_bad(path, "rope scaling tables (rope_freqs.weight) are not supported by trainLm");
        m->tensors.push_back(t);
    }

    // 2. the tensors training uses, shape-checked
    const int64_t e = hp.n_embd, ff = hp.n_ff;
    m->tok_embd    = want(*m, "token_embd.weight", e, hp.n_vocab);
    m->output_norm = want(*m, "output_norm.weight", e, 1);
    m->output      = m->find("output.weight") ? want(*m, "output.weight", e, hp.n_vocab) : m->tok_embd;
    for (int64_t il = 0; il < hp.n_layer; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        lm_layer l;
        l.attn_norm = want(*m, b + "attn_norm.weight", e, 1);
        l.attn_q    = want(*m, b + "attn_q.weight", e, e);
        l.attn_k    = want(*m, b + "attn_k.weight", e, e);
        l.attn_v    = want(*m, b + "attn_v.weight", e, e);
        l.attn_out  = want(*m, b + "attn_output.weight", e, e);
        l.ffn_norm  = want(*m, b + "ffn_norm.weight", e, 1);
        l.ffn_gate  = want(*m, b + "ffn_gate.weight", e, ff);
        l.ffn_up    = want(*m, b + "ffn_up.weight", e, ff);
        l.ffn_down  = want(*m, b + "ffn_down.weight", ff, e);
        m->layers.push_back(l);
    }

    // 3. data: one buffer, filled from the file
    m->buf.reset(ggml_backend_alloc_ctx_tensors_from_buft(ctx_meta, buft));
    if (!m->buf) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the model's weights (out of memory?)", path);
    std::ifstream file(path, std::ios::binary);
    const size_t data_off = gguf_get_data_offset(m->meta.get());
    std::vector<char> bytes;
    for (int64_t i = 0; i < gguf_get_n_tensors(m->meta.get()); ++i) {
        ggml_tensor * t = m->tensors[(size_t) i];
        bytes.resize(ggml_nbytes(t));
        file.seekg((std::streamoff) (data_off + gguf_get_tensor_offset(m->meta.get(), i)));
        file.read(bytes.data(), (std::streamsize) bytes.size());
        if (!file) throw_bad(path, "truncated GGUF: cannot read the data of tensor '" + std::string(t->name) + "'");
        ggml_backend_tensor_set(t, bytes.data(), 0, bytes.size());
    }
    return m;
}

void lm_model_save(const lm_model & m, const std::string & path, const std::map<std::string, std::string> & extra) {
    gguf_context_ptr g(gguf_init_empty());
    gguf_set_kv(g.get(), m.meta.get());
    for (const auto & [key, value] : extra) gguf_set_val_str(g.get(), key.c_str(), value.c_str());
    for (ggml_tensor * t : m.tensors) gguf_add_tensor(g.get(), t); // host buffer: t->data is readable
    const std::string tmp = path + ".tmp";
    if (!gguf_write_to_file(g.get(), tmp.c_str(), false)) {
        std::remove(tmp.c_str());
        throw soo_error(SOO_ERROR_INTERNAL, "cannot write '" + tmp + "' (disk full or no permission?)", path);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw soo_error(SOO_ERROR_INTERNAL, "cannot rename '" + tmp + "' to '" + path + "'", path);
    }
}
