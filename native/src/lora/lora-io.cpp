// lora-io: see lora-io.h.
#include "lora/lora-io.h"

#include "errors.h"
#include "gguf.h"
#include "train/base-weights.h"
#include "train/rng.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace {

[[noreturn]] void throw_bad(const std::string & path, const std::string & what) {
    throw soo_error(SOO_ERROR_BAD_INPUT, "'" + path + "': " + what, path);
}

const char * SUFFIX_A = ".lora_a";
const char * SUFFIX_B = ".lora_b";

bool ends_with(const std::string & s, const std::string & suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "blk.3.attn_q.weight" -> (3, "attn_q"); (-1, "") when it is not a block weight
std::pair<int, std::string> parse_weight_name(const std::string & w) {
    int layer = -1;
    char target[64] = { 0 };
    if (sscanf(w.c_str(), "blk.%d.%63[a-z_].weight", &layer, target) == 2 && w == "blk." + std::to_string(layer) + "." + target + ".weight") {
        return { layer, target };
    }
    return { -1, "" };
}

// Allocates A/B tensors for `names` (weight, n_in, n_out) in a fresh context + buffer.
std::unique_ptr<lora_weights> alloc_lora(const std::vector<std::tuple<std::string, int64_t, int64_t>> & names,
                                         int64_t rank, float alpha, ggml_backend_buffer_type_t buft) {
    auto lora = std::make_unique<lora_weights>();
    lora->rank  = rank;
    lora->alpha = alpha;
    ggml_init_params ip = { ggml_tensor_overhead() * (2 * names.size() + 1), nullptr, true };
    lora->ctx.reset(ggml_init(ip));
    for (const auto & [weight, n_in, n_out] : names) {
        const auto [layer, target] = parse_weight_name(weight);
        lora_tensor lt { weight, layer, target, nullptr, nullptr };
        lt.a = ggml_new_tensor_2d(lora->ctx.get(), GGML_TYPE_F32, n_in, rank);  // [n_in, r]
        lt.b = ggml_new_tensor_2d(lora->ctx.get(), GGML_TYPE_F32, rank, n_out); // [r, n_out]
        ggml_set_name(lt.a, (weight + SUFFIX_A).c_str());
        ggml_set_name(lt.b, (weight + SUFFIX_B).c_str());
        lora->tensors.push_back(lt);
    }
    lora->buf.reset(ggml_backend_alloc_ctx_tensors_from_buft(lora->ctx.get(), buft));
    if (!lora->buf) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the LoRA buffer (out of memory?)");
    ggml_backend_buffer_clear(lora->buf.get(), 0);
    return lora;
}

} // namespace

const lora_tensor * lora_weights::find(const std::string & weight) const {
    for (const lora_tensor & t : tensors) if (t.weight == weight) return &t;
    return nullptr;
}

std::unique_ptr<lora_weights> lora_weights_init(const base_weights & base, const std::vector<std::string> & targets,
                                                int64_t rank, float alpha, uint64_t seed, ggml_backend_buffer_type_t buft,
                                                bool ffn_of_last) {
    const auto & known = base_weights_lora_targets();
    for (const std::string & t : targets) {
        if (std::find(known.begin(), known.end(), t) == known.end()) {
            throw soo_error(SOO_ERROR_BAD_INPUT, "unknown LoRA target '" + t + "' (known: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down)");
        }
    }
    if (targets.empty()) throw soo_error(SOO_ERROR_BAD_INPUT, "no LoRA targets given (e.g. attn_q, attn_v)");
    if (rank < 1) throw soo_error(SOO_ERROR_BAD_INPUT, "LoRA rank must be >= 1, got " + std::to_string(rank));
    if (!(alpha > 0.0f)) throw soo_error(SOO_ERROR_BAD_INPUT, "LoRA alpha must be > 0, got " + std::to_string(alpha));

    const int64_t n_last = base.n_layer_loaded - 1;
    std::vector<std::tuple<std::string, int64_t, int64_t>> names;
    for (int64_t il = 0; il <= n_last; ++il) {
        for (const std::string & t : known) {            // fixed order, whatever order the caller used
            if (std::find(targets.begin(), targets.end(), t) == targets.end()) continue;
            if (il == n_last && !ffn_of_last && t.rfind("ffn_", 0) == 0) continue; // above the attn_out tap of layer L
            const std::string weight = "blk." + std::to_string(il) + "." + t + ".weight";
            const ggml_tensor * w = base.find(weight);
            GGML_ASSERT(w != nullptr); // base_weights_load validated every block weight
            names.emplace_back(weight, w->ne[0], w->ne[1]);
        }
    }
    if (names.empty()) {
        throw soo_error(SOO_ERROR_BAD_INPUT, "no LoRA weights to train: the FFN targets of layer " + std::to_string(n_last) +
                        " are above its attn_out tap, and there are no layers below it (hint: add an attention target)");
    }
    auto lora = alloc_lora(names, rank, alpha, buft);

    // A ~ U(-1/sqrt(n_in), 1/sqrt(n_in)), one stream per tensor; B stays 0
    std::vector<float> data;
    for (size_t i = 0; i < lora->tensors.size(); ++i) {
        ggml_tensor * a = lora->tensors[i].a;
        train_rng rng(seed, /*purpose: lora init*/ 1, i);
        const float bound = 1.0f / std::sqrt((float) a->ne[0]);
        data.resize(ggml_nelements(a));
        for (float & x : data) x = (2.0f * rng.uniform() - 1.0f) * bound;
        ggml_backend_tensor_set(a, data.data(), 0, ggml_nbytes(a));
    }
    return lora;
}

void lora_io_write(const std::string & path, const lora_weights & lora, const std::string & arch,
                   const std::function<void(gguf_context *)> & set_kv, const std::vector<ggml_tensor *> & extra) {
    gguf_context_ptr g(gguf_init_empty());
    gguf_set_val_str(g.get(), "general.type", "adapter");
    gguf_set_val_str(g.get(), "general.architecture", arch.c_str());
    gguf_set_val_str(g.get(), "adapter.type", "lora");
    gguf_set_val_f32(g.get(), "adapter.lora.alpha", lora.alpha);
    if (set_kv) set_kv(g.get());

    // host copies of every tensor (the backend buffer may not be host memory)
    std::vector<ggml_tensor *> all;
    for (const lora_tensor & t : lora.tensors) { all.push_back(t.a); all.push_back(t.b); }
    all.insert(all.end(), extra.begin(), extra.end());
    size_t n_bytes = 0;
    for (ggml_tensor * t : all) n_bytes += ggml_nbytes(t) + ggml_tensor_overhead() + 64;
    ggml_init_params ip = { n_bytes + 1024, nullptr, /*no_alloc*/ false };
    ggml_context_ptr host(ggml_init(ip));
    for (ggml_tensor * t : all) {
        ggml_tensor * h = ggml_dup_tensor(host.get(), t);
        ggml_set_name(h, t->name);
        ggml_backend_tensor_get(t, h->data, 0, ggml_nbytes(t));
        gguf_add_tensor(g.get(), h);
    }

    const std::string tmp = path + ".tmp";
    if (!gguf_write_to_file(g.get(), tmp.c_str(), false)) {
        std::remove(tmp.c_str());
        throw soo_error(SOO_ERROR_BAD_INPUT, "'" + path + "': cannot write the adapter (is the folder writable?)", path);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw soo_error(SOO_ERROR_BAD_INPUT, "'" + path + "': cannot move the written adapter into place", path);
    }
}

lora_io_file lora_io_read(const std::string & path) {
    lora_io_file f;
    f.path = path;
    ggml_context * data = nullptr;
    gguf_init_params ip = { /*no_alloc*/ false, &data };
    f.meta.reset(gguf_init_from_file(path.c_str(), ip));
    if (!f.meta) throw_bad(path, "cannot open or parse as GGUF");
    f.data.reset(data);

    auto str = [&](const char * key) -> std::string {
        const int64_t id = gguf_find_key(f.meta.get(), key);
        return id >= 0 && gguf_get_kv_type(f.meta.get(), id) == GGUF_TYPE_STRING ? gguf_get_val_str(f.meta.get(), id) : "";
    };
    if (str("general.type") != "adapter" || str("adapter.type") != "lora") {
        throw_bad(path, "not a LoRA adapter: general.type='" + str("general.type") + "', adapter.type='" + str("adapter.type") +
                        "' (expected 'adapter' and 'lora')");
    }
    for (int64_t i = 0; i < gguf_get_n_tensors(f.meta.get()); ++i) {
        const std::string name = gguf_get_tensor_name(f.meta.get(), i);
        const bool is_a = ends_with(name, SUFFIX_A), is_b = ends_with(name, SUFFIX_B);
        if (!is_a && !is_b) continue;
        const std::string other = name.substr(0, name.size() - 7) + (is_a ? SUFFIX_B : SUFFIX_A);
        if (!f.get(other)) throw_bad(path, "tensor '" + name + "' has no partner '" + other + "'");
    }
    return f;
}

std::unique_ptr<lora_weights> lora_weights_from_file(const lora_io_file & file, const base_weights * base,
                                                     ggml_backend_buffer_type_t buft) {
    const gguf_context * g = file.meta.get();
    const int64_t id_alpha = gguf_find_key(g, "adapter.lora.alpha");
    if (id_alpha < 0 || gguf_get_kv_type(g, id_alpha) != GGUF_TYPE_FLOAT32) throw_bad(file.path, "missing f32 key 'adapter.lora.alpha'");
    const float alpha = gguf_get_val_f32(g, id_alpha);

    std::vector<std::tuple<std::string, int64_t, int64_t>> names;
    int64_t rank = -1;
    for (int64_t i = 0; i < gguf_get_n_tensors(g); ++i) {
        const std::string name = gguf_get_tensor_name(g, i);
        if (!ends_with(name, SUFFIX_A)) continue;
        const std::string weight = name.substr(0, name.size() - 7);
        const ggml_tensor * a = file.get(name);
        const ggml_tensor * b = file.get(weight + SUFFIX_B);
        if (a->type != GGML_TYPE_F32 || b->type != GGML_TYPE_F32) throw_bad(file.path, "tensor '" + name + "' pair is not F32 (training needs F32)");
        if (a->ne[1] != b->ne[0] || (rank >= 0 && a->ne[1] != rank)) {
            throw_bad(file.path, "tensor '" + name + "' has rank " + std::to_string(a->ne[1]) + " but its lora_b has " +
                                 std::to_string(b->ne[0]) + (rank >= 0 ? " (others: " + std::to_string(rank) + ")" : ""));
        }
        rank = a->ne[1];
        if (parse_weight_name(weight).first < 0) throw_bad(file.path, "tensor '" + name + "' does not adapt a block weight (blk.N.<target>.weight)");
        if (base) {
            const ggml_tensor * w = base->find(weight);
            if (!w) throw_bad(file.path, "adapter tensor '" + name + "' adapts '" + weight + "', which is not in the loaded layers 0.." +
                                         std::to_string(base->n_layer_loaded - 1) + " (hint: adapter trained for another layer?)");
            if (w->ne[0] != a->ne[0] || w->ne[1] != b->ne[1]) {
                throw_bad(file.path, "adapter for '" + weight + "' maps " + std::to_string(a->ne[0]) + " -> " + std::to_string(b->ne[1]) +
                                     " but the base weight maps " + std::to_string(w->ne[0]) + " -> " + std::to_string(w->ne[1]) +
                                     " (hint: adapter made for another model?)");
            }
        }
        names.emplace_back(weight, a->ne[0], b->ne[1]);
    }
    if (names.empty()) throw_bad(file.path, "the adapter has no lora_a/lora_b tensors");
    // same order as lora_weights_init: by layer, then by target order
    const auto & known = base_weights_lora_targets();
    std::sort(names.begin(), names.end(), [&](const auto & x, const auto & y) {
        const auto px = parse_weight_name(std::get<0>(x)), py = parse_weight_name(std::get<0>(y));
        if (px.first != py.first) return px.first < py.first;
        return std::find(known.begin(), known.end(), px.second) < std::find(known.begin(), known.end(), py.second);
    });
    auto lora = alloc_lora(names, rank, alpha, buft);
    for (const lora_tensor & t : lora->tensors) {
        ggml_backend_tensor_set(t.a, file.get(t.a->name)->data, 0, ggml_nbytes(t.a));
        ggml_backend_tensor_set(t.b, file.get(t.b->name)->data, 0, ggml_nbytes(t.b));
    }
    return lora;
}
