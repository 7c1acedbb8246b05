// base-weights: see base-weights.h.
#include "train/base-weights.h"

#include "errors.h"
#include "gguf.h"
#include "train/cpu-bufts.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

namespace {

std::string bad_file(const std::string & path, const std::string & what) {
    return "'" + path + "': " + what;
}

[[noreturn]] void throw_bad(const std::string & path, const std::string & what) {
    throw soo_error(SOO_ERROR_BAD_INPUT, bad_file(path, what), path);
}

std::string shape_str(const int64_t * ne, int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
    return s + "]";
}

// Integer KV of any integer GGUF type; `fallback` < 0 means required.
int64_t kv_int(const gguf_context * g, const std::string & path, const std::string & key, int64_t fallback = -1) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0) {
        if (fallback >= 0) return fallback;
        throw_bad(path, "missing metadata key '" + key + "' (hint: is this a complete model GGUF?)");
    }
    switch (gguf_get_kv_type(g, id)) {
        case GGUF_TYPE_UINT8:  return gguf_get_val_u8(g, id);
        case GGUF_TYPE_INT8:   return gguf_get_val_i8(g, id);
        case GGUF_TYPE_UINT16: return gguf_get_val_u16(g, id);
        case GGUF_TYPE_INT16:  return gguf_get_val_i16(g, id);
        case GGUF_TYPE_UINT32: return gguf_get_val_u32(g, id);
        case GGUF_TYPE_INT32:  return gguf_get_val_i32(g, id);
        case GGUF_TYPE_UINT64: return (int64_t) gguf_get_val_u64(g, id);
        case GGUF_TYPE_INT64:  return gguf_get_val_i64(g, id);
        default:
            throw_bad(path, "metadata key '" + key + "' has type " + gguf_type_name(gguf_get_kv_type(g, id)) +
                            ", expected an integer (per-layer arrays are not supported)");
    }
}

float kv_float(const gguf_context * g, const std::string & key, float fallback) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0) return fallback;
    switch (gguf_get_kv_type(g, id)) {
        case GGUF_TYPE_FLOAT32: return gguf_get_val_f32(g, id);
        case GGUF_TYPE_FLOAT64: return (float) gguf_get_val_f64(g, id);
        default:                return fallback;
    }
}

std::string kv_str(const gguf_context * g, const std::string & key) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0 || gguf_get_kv_type(g, id) != GGUF_TYPE_STRING) return "";
    return gguf_get_val_str(g, id);
}

gguf_context_ptr open_meta(const std::string & path, ggml_context ** ctx_meta) {
    gguf_init_params params = { /*no_alloc*/ true, /*ctx*/ ctx_meta };
    gguf_context_ptr g(gguf_init_from_file(path.c_str(), params));
    if (!g) throw_bad(path, "cannot open or parse as GGUF (hint: check the path and that the download finished)");
    return g;
}

base_hparams read_hparams(const gguf_context * g, const std::string & path, int layer) {
    base_hparams hp;
    hp.arch_name = kv_str(g, "general.architecture");
    if (hp.arch_name == "llama") {
        hp.arch = BASE_ARCH_LLAMA; hp.rope_type = GGML_ROPE_TYPE_NORMAL;
    } else if (hp.arch_name == "qwen2") {
        hp.arch = BASE_ARCH_QWEN2; hp.rope_type = GGML_ROPE_TYPE_NEOX;
    } else {
        throw_bad(path, "architecture '" + hp.arch_name + "' is not supported for training (supported: llama, qwen2)");
    }
    const std::string a = hp.arch_name + ".";
    hp.n_embd    = kv_int(g, path, a + "embedding_length");
    hp.n_layer   = kv_int(g, path, a + "block_count");
    hp.n_head    = kv_int(g, path, a + "attention.head_count");
    hp.n_head_kv = kv_int(g, path, a + "attention.head_count_kv", hp.n_head);
    hp.n_ff      = kv_int(g, path, a + "feed_forward_length");
    hp.rms_eps   = kv_float(g, a + "attention.layer_norm_rms_epsilon", 1e-5f);
    hp.rope_freq_base = kv_float(g, a + "rope.freq_base", 10000.0f);
    if (hp.n_embd <= 0 || hp.n_head <= 0 || hp.n_head_kv <= 0 || hp.n_ff <= 0 || hp.n_layer <= 0 ||
        hp.n_embd % hp.n_head != 0 || hp.n_head % hp.n_head_kv != 0) {
        throw_bad(path, "inconsistent hyper-parameters: n_embd=" + std::to_string(hp.n_embd) + " n_head=" +
                        std::to_string(hp.n_head) + " n_head_kv=" + std::to_string(hp.n_head_kv) + " n_ff=" +
                        std::to_string(hp.n_ff) + " n_layer=" + std::to_string(hp.n_layer));
    }
    hp.n_embd_head = hp.n_embd / hp.n_head;
    hp.n_rot       = kv_int(g, path, a + "rope.dimension_count", hp.n_embd_head);
    const int64_t key_len = kv_int(g, path, a + "attention.key_length", hp.n_embd_head);
    const int64_t val_len = kv_int(g, path, a + "attention.value_length", hp.n_embd_head);
    if (key_len != hp.n_embd_head || val_len != hp.n_embd_head || hp.n_rot > hp.n_embd_head || hp.n_rot % 2) {
        throw_bad(path, "unsupported head layout: key_length=" + std::to_string(key_len) + " value_length=" +
                        std::to_string(val_len) + " rope dims=" + std::to_string(hp.n_rot) + ", expected " +
                        std::to_string(hp.n_embd_head) + " (n_embd / n_head)");
    }
    const std::string scaling = kv_str(g, a + "rope.scaling.type");
    if (!scaling.empty() && scaling != "none" && scaling != "linear") {
        throw_bad(path, "rope scaling type '" + scaling + "' is not supported for training (supported: none, linear)");
    }
    if (scaling == "linear") {
        const float factor = kv_float(g, a + "rope.scaling.factor", 1.0f);
        hp.rope_freq_scale = factor > 0.0f ? 1.0f / factor : 1.0f;
    }
    const int64_t id_embd = gguf_find_tensor(g, "token_embd.weight");
    if (id_embd < 0) throw_bad(path, "tensor 'token_embd.weight' is missing");
    hp.n_vocab = gguf_get_tensor_ne(g, id_embd)[1];
    if (layer != -1 && (layer < 0 || layer >= hp.n_layer)) {
        throw_bad(path, "layer " + std::to_string(layer) + " is out of range: the model has " +
                        std::to_string(hp.n_layer) + " layers (valid: 0.." + std::to_string(hp.n_layer - 1) + ")");
    }
    return hp;
}

// What to load: name -> expected ne (trailing 1s omitted). `optional` tensors may be absent.
struct tensor_want { std::string name; std::vector<int64_t> ne; bool optional; };

std::vector<tensor_want> wanted_tensors(const base_hparams & hp, int64_t n_vocab, int layer) {
    const int64_t e = hp.n_embd, kv = hp.n_embd_kv(), ff = hp.n_ff;
    std::vector<tensor_want> w = {
        { "token_embd.weight", { e, n_vocab }, false },
        { "rope_freqs.weight", { hp.n_rot / 2 }, true },
    };
    const bool bias = hp.arch == BASE_ARCH_QWEN2;
    for (int il = 0; il <= layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        w.push_back({ p + "attn_norm.weight",   { e },      false });
        w.push_back({ p + "attn_q.weight",      { e, e },   false });
        w.push_back({ p + "attn_k.weight",      { e, kv },  false });
        w.push_back({ p + "attn_v.weight",      { e, kv },  false });
        w.push_back({ p + "attn_output.weight", { e, e },   false });
        w.push_back({ p + "attn_q.bias",        { e },      !bias });
        w.push_back({ p + "attn_k.bias",        { kv },     !bias });
        w.push_back({ p + "attn_v.bias",        { kv },     !bias });
        w.push_back({ p + "ffn_norm.weight",    { e },      false });
        w.push_back({ p + "ffn_gate.weight",    { e, ff },  false });
        w.push_back({ p + "ffn_up.weight",      { e, ff },  false });
        w.push_back({ p + "ffn_down.weight",    { ff, e },  false });
    }
    return w;
}

} // namespace

ggml_tensor * base_weights::find(const std::string & name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
}

std::vector<uint8_t> base_weights_read_raw(const base_weights & bw, const std::string & name) {
    auto it = bw.file_range.find(name);
    GGML_ASSERT(it != bw.file_range.end());
    std::vector<uint8_t> out(it->second.second);
    std::ifstream file(bw.path, std::ios::binary);
    file.seekg((std::streamoff) it->second.first);
    file.read((char *) out.data(), (std::streamsize) out.size());
    if (!file) throw soo_error(SOO_ERROR_INTERNAL, "'" + bw.path + "': cannot re-read tensor '" + name + "' (file changed?)", bw.path);
    return out;
}

const std::vector<std::string> & base_weights_lora_targets() {
    static const std::vector<std::string> targets = {
        "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down",
    };
    return targets;
}

base_hparams base_weights_read_hparams(const std::string & path, int layer) {
    gguf_context_ptr g = open_meta(path, nullptr);
    return read_hparams(g.get(), path, layer);
}

int32_t base_weights_token_row(const base_weights & bw, int32_t id) {
    if (bw.tok_ids.empty()) return id >= 0 && id < bw.hp.n_vocab ? id : -1;
    auto it = std::lower_bound(bw.tok_ids.begin(), bw.tok_ids.end(), id);
    return it != bw.tok_ids.end() && *it == id ? (int32_t) (it - bw.tok_ids.begin()) : -1;
}

std::unique_ptr<base_weights> base_weights_load(const std::string & path, int layer, const cpu_bufts & bufts,
                                                const std::vector<int32_t> & token_ids) {
    ggml_context * meta_raw = nullptr;
    gguf_context_ptr g = open_meta(path, &meta_raw);
    ggml_context_ptr meta(meta_raw);

    auto bw = std::make_unique<base_weights>();
    bw->path           = path;
    bw->hp             = read_hparams(g.get(), path, layer);
    bw->n_layer_loaded = layer + 1;
    if (!token_ids.empty()) {
        bw->tok_ids = token_ids;
        std::sort(bw->tok_ids.begin(), bw->tok_ids.end());
        bw->tok_ids.erase(std::unique(bw->tok_ids.begin(), bw->tok_ids.end()), bw->tok_ids.end());
        if (bw->tok_ids.front() < 0 || bw->tok_ids.back() >= bw->hp.n_vocab) {
            throw_bad(path, "token id " + std::to_string(bw->tok_ids.front() < 0 ? bw->tok_ids.front() : bw->tok_ids.back()) +
                            " is outside the vocabulary [0, " + std::to_string(bw->hp.n_vocab) + ")");
        }
    }

    // 1. validate every wanted tensor's presence and shape, before allocating anything
    const std::vector<tensor_want> want = wanted_tensors(bw->hp, bw->hp.n_vocab, layer);
    std::vector<std::pair<const tensor_want *, int64_t>> found; // (want, gguf tensor id)
    for (const tensor_want & w : want) {
        const int64_t id = gguf_find_tensor(g.get(), w.name.c_str());
        if (id < 0) {
            if (w.optional) continue;
            throw_bad(path, "tensor '" + w.name + "' is missing (expected shape " + shape_str(w.ne.data(), (int) w.ne.size()) +
                            "; hint: the file may be a different architecture than '" + bw->hp.arch_name + "' says)");
        }
        const int64_t * ne = gguf_get_tensor_ne(g.get(), id);
        bool ok = true;
        for (int d = 0; d < GGML_MAX_DIMS; ++d) ok &= ne[d] == (d < (int) w.ne.size() ? w.ne[d] : 1);
        if (!ok) {
            throw_bad(path, "tensor '" + w.name + "' has shape " + shape_str(ne, GGML_MAX_DIMS) + ", expected " +
                            shape_str(w.ne.data(), (int) w.ne.size()) + " from the metadata (hint: hyper-parameters and tensors disagree; re-convert the model)");
        }
        if (w.ne.size() == 1 && gguf_get_tensor_type(g.get(), id) != GGML_TYPE_F32) {
            throw_bad(path, "tensor '" + w.name + "' has type " + ggml_type_name(gguf_get_tensor_type(g.get(), id)) +
                            ", expected f32 (norm weights, biases and rope factors are f32 in llama.cpp conversions)");
        }
        found.push_back({ &w, id });
    }
    for (int il = 0; il <= layer; ++il) {
        for (const char * b : { "attn_output.bias", "ffn_gate.bias", "ffn_up.bias", "ffn_down.bias" }) {
            const std::string name = "blk." + std::to_string(il) + "." + b;
            if (gguf_find_tensor(g.get(), name.c_str()) >= 0) {
                throw_bad(path, "tensor '" + name + "' is present, but biases on o_proj and the FFN are not supported for training");
            }
        }
    }

    // 2. one metadata context per buffer type: block matrices where their matmul is fastest, the rest plain
    std::vector<std::pair<ggml_backend_buffer_type_t, ggml_context *>> by_buft;
    for (auto & [w, id] : found) {
        ggml_tensor * src = ggml_get_tensor(meta.get(), w->name.c_str());
        GGML_ASSERT(src != nullptr);
        const bool matrix = w->name.rfind("blk.", 0) == 0 && w->ne.size() == 2;
        ggml_backend_buffer_type_t buft = matrix ? bufts.for_matmul(src) : bufts.plain;
        ggml_context * ctx = nullptr;
        for (auto & [b, c] : by_buft) if (b == buft) ctx = c;
        if (!ctx) {
            ggml_init_params ip = { ggml_tensor_overhead() * (found.size() + 1), nullptr, /*no_alloc*/ true };
            bw->ctxs.emplace_back(ggml_init(ip));
            ctx = bw->ctxs.back().get();
            by_buft.push_back({ buft, ctx });
        }
        const bool embd_subset = w->name == "token_embd.weight" && !bw->tok_ids.empty();
        ggml_tensor * t = embd_subset ? ggml_new_tensor_2d(ctx, src->type, src->ne[0], (int64_t) bw->tok_ids.size())
                                      : ggml_dup_tensor(ctx, src);
        ggml_set_name(t, w->name.c_str());
        bw->by_name[w->name]    = t;
        bw->file_range[w->name] = { gguf_get_data_offset(g.get()) + gguf_get_tensor_offset(g.get(), id), ggml_nbytes(src) };
    }
    for (auto & [buft, ctx] : by_buft) {
        bw->bufs.emplace_back(ggml_backend_alloc_ctx_tensors_from_buft(ctx, buft));
        if (!bw->bufs.back()) throw soo_error(SOO_ERROR_INTERNAL, bad_file(path, "cannot allocate the weight buffer (out of memory?)"), path);
        ggml_backend_buffer_set_usage(bw->bufs.back().get(), GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    }

    // 3. read tensor data straight from the file (an extra buffer type repacks on set)
    std::ifstream file(path, std::ios::binary);
    if (!file) throw soo_error(SOO_ERROR_INTERNAL, bad_file(path, "cannot reopen for reading"), path);
    std::vector<uint8_t> staging;
    for (auto & [w, id] : found) {
        ggml_tensor * t = bw->find(w->name);
        const auto [offset, n] = bw->file_range[w->name];
        if (w->name == "token_embd.weight" && !bw->tok_ids.empty()) { // only the listed rows
            const size_t row = t->nb[1];
            staging.resize(row);
            for (size_t r = 0; r < bw->tok_ids.size(); ++r) {
                file.seekg((std::streamoff) (offset + (size_t) bw->tok_ids[r] * row));
                file.read((char *) staging.data(), (std::streamsize) row);
                if (!file) throw_bad(path, "truncated file: cannot read row " + std::to_string(bw->tok_ids[r]) + " of tensor '" + w->name + "'");
                ggml_backend_tensor_set(t, staging.data(), r * row, row);
            }
            bw->n_bytes += ggml_nbytes(t);
            continue;
        }
        staging.resize(n);
        file.seekg((std::streamoff) offset);
        file.read((char *) staging.data(), (std::streamsize) n);
        if (!file) throw_bad(path, "truncated file: cannot read " + std::to_string(n) + " bytes of tensor '" + w->name + "'");
        ggml_backend_tensor_set(t, staging.data(), 0, n);
        bw->n_bytes += n;
    }

    // 4. wire the named tensors into the struct
    bw->tok_embd   = bw->find("token_embd.weight");
    bw->rope_freqs = bw->find("rope_freqs.weight");
    bw->layers.resize(layer + 1);
    for (int il = 0; il <= layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        base_layer & l = bw->layers[il];
        l.attn_norm   = bw->find(p + "attn_norm.weight");
        l.attn_q      = bw->find(p + "attn_q.weight");
        l.attn_k      = bw->find(p + "attn_k.weight");
        l.attn_v      = bw->find(p + "attn_v.weight");
        l.attn_output = bw->find(p + "attn_output.weight");
        l.attn_q_b    = bw->find(p + "attn_q.bias");
        l.attn_k_b    = bw->find(p + "attn_k.bias");
        l.attn_v_b    = bw->find(p + "attn_v.bias");
        l.ffn_norm    = bw->find(p + "ffn_norm.weight");
        l.ffn_gate    = bw->find(p + "ffn_gate.weight");
        l.ffn_up      = bw->find(p + "ffn_up.weight");
        l.ffn_down    = bw->find(p + "ffn_down.weight");
    }
    return bw;
}
