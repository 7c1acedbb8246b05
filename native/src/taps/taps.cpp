// taps: see taps.h.
#include "taps/taps.h"

#include "errors.h"
#include "log-capture.h"
#include "model/model-handle.h"

#include "ggml-backend.h"
#include "ggml.h"

#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <memory>

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

[[noreturn]] void bad_input(const std::string & message) {
    throw soo_error(SOO_ERROR_BAD_INPUT, message);
}

std::string request_label(const tap_request & r) {
    return std::string(tap_point_name(r.point)) + " of layer " + std::to_string(r.layer);
}

// Copies tensor t (any contiguity, F32/F16/BF16, ne = [width, rows...]) into `out` as float32 rows.
// Returns false (with `error` set) for an unsupported type.
bool tap_copy_tensor(const ggml_tensor * t, std::vector<float> & out, int64_t & n_rows, std::string & error) {
    const int64_t width = t->ne[0];
    n_rows = t->ne[1] * t->ne[2] * t->ne[3];
    out.resize((size_t) (width * n_rows));
    if (t->type != GGML_TYPE_F32 && t->type != GGML_TYPE_F16 && t->type != GGML_TYPE_BF16) {
        error = std::string("tap node '") + ggml_get_name(t) + "' has type " + ggml_type_name(t->type) + ", expected f32/f16/bf16";
        return false;
    }
    if (t->type == GGML_TYPE_F32 && ggml_is_contiguous(t)) {
        ggml_backend_tensor_get(t, out.data(), 0, ggml_nbytes(t));
        return true;
    }
    const size_t         row_bytes = (size_t) width * ggml_type_size(t->type);
    std::vector<uint8_t> row(row_bytes);
    int64_t              r = 0;
    for (int64_t i3 = 0; i3 < t->ne[3]; ++i3) {
        for (int64_t i2 = 0; i2 < t->ne[2]; ++i2) {
            for (int64_t i1 = 0; i1 < t->ne[1]; ++i1, ++r) {
                const size_t offset = i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
                float *      dst    = out.data() + r * width;
                if (t->type == GGML_TYPE_F32 && t->nb[0] == sizeof(float)) {
                    ggml_backend_tensor_get(t, dst, offset, row_bytes);
                } else if (t->nb[0] == ggml_type_size(t->type)) {
                    ggml_backend_tensor_get(t, row.data(), offset, row_bytes);
                    if (t->type == GGML_TYPE_F16) ggml_fp16_to_fp32_row((const ggml_fp16_t *) row.data(), dst, width);
                    else if (t->type == GGML_TYPE_BF16) ggml_bf16_to_fp32_row((const ggml_bf16_t *) row.data(), dst, width);
                    else std::memcpy(dst, row.data(), row_bytes);
                } else {
                    error = std::string("tap node '") + ggml_get_name(t) + "' has a non-contiguous first dimension";
                    return false;
                }
            }
        }
    }
    return true;
}

// cb_eval: "ask" only for requested nodes, copy them out, stop after the last tapped layer.
bool taps_eval_callback(ggml_tensor * t, bool ask, void * user_data) {
    auto * st = static_cast<tap_state *>(user_data);
    if (ask) {
        if (st->stopped) return true; // compute a single node per remaining split, then stop (below)
        if (st->stop_early && st->match.max_layer >= 0 && tap_match_node_layer(t) > st->match.max_layer) {
            st->stopped = true;
            return true;
        }
        st->pending.clear();
        tap_match_node(st->match, t, st->pending);
        return !st->pending.empty();
    }
    if (st->stopped) return false;
    for (int i : st->pending) {
        int64_t n_rows = 0;
        if (!tap_copy_tensor(t, st->rows[i], n_rows, st->error)) return false;
        st->n_rows[i] = n_rows;
    }
    return true;
}

bool taps_abort_callback(void * data) {
    return static_cast<const std::atomic<bool> *>(data)->load();
}

uint32_t round_up(uint32_t n, uint32_t to) {
    return (n + to - 1) / to * to;
}

void taps_validate(const model_handle & handle, const taps_params & p) {
    const model_info & info = handle.info;
    if (p.prompts.empty()) bad_input("no prompts given");
    if (p.requests.empty()) bad_input("no taps requested: give at least one {layer, point}");
    for (const auto & r : p.requests) {
        if (r.layer < 0 || r.layer >= info.n_layer) {
            bad_input("layer " + std::to_string(r.layer) + " is out of range for " + tap_point_name(r.point) +
                      ": the model has " + std::to_string(info.n_layer) + " layers (0.." + std::to_string(info.n_layer - 1) +
                      ") (file: " + info.path + ")");
        }
    }
    for (size_t i = 0; i < p.prompts.size(); ++i) {
        if (p.prompts[i].empty()) bad_input("prompt " + std::to_string(i) + " has no tokens");
        for (size_t j = 0; j < p.prompts[i].size(); ++j) {
            const llama_token tok = p.prompts[i][j];
            if (tok < 0 || tok >= info.n_vocab) {
                bad_input("prompt " + std::to_string(i) + " token " + std::to_string(j) + " is " + std::to_string(tok) +
                          ", outside the vocabulary [0, " + std::to_string(info.n_vocab) + ")");
            }
        }
    }
    if (p.n_threads < 1) bad_input("threads must be >= 1, got " + std::to_string(p.n_threads));
    if (p.n_ubatch < 1 || p.n_ubatch > 8192) bad_input("ubatch must be in 1..8192, got " + std::to_string(p.n_ubatch));
    if (p.n_ctx > (1u << 20)) bad_input("contextSize must be at most 1048576, got " + std::to_string(p.n_ctx));
    if (p.n_seq_max < 1 || p.n_seq_max > 256) bad_input("maxSequences must be in 1..256, got " + std::to_string(p.n_seq_max));
    for (const auto & [path, scale] : p.adapters) {
        if (!std::isfinite(scale)) bad_input("adapter scale must be finite (file: " + path + ")");
    }
}

// The cached tap context with these parameters, created (and the least recently used one dropped) if needed.
llama_context * taps_context(model_handle & handle, const tap_context_key & key) {
    auto & cache = handle.tap_ctxs;
    for (size_t i = 0; i < cache.size(); ++i) {
        if (cache[i].first == key) {
            std::rotate(cache.begin() + i, cache.begin() + i + 1, cache.end()); // most recent last
            return cache.back().second.get();
        }
    }
    if (!handle.tap) handle.tap = std::make_unique<tap_state>();
    while (cache.size() >= MODEL_HANDLE_MAX_TAP_CONTEXTS) cache.erase(cache.begin());

    llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx               = key.n_ctx;
    cparams.n_batch             = key.n_ubatch;
    cparams.n_ubatch            = key.n_ubatch;
    cparams.n_seq_max           = key.n_seq_max;
    cparams.n_threads           = key.n_threads;
    cparams.n_threads_batch     = key.n_threads;
    cparams.flash_attn_type     = key.flash_attn ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cparams.type_k              = key.type_kv;
    cparams.type_v              = key.type_kv;
    cparams.cb_eval             = taps_eval_callback;
    cparams.cb_eval_user_data   = handle.tap.get();
    cparams.abort_callback      = taps_abort_callback;
    cparams.abort_callback_data = &handle.cancel_requested;
    cparams.kv_unified          = true;  // rows come back in batch order (split_simple)
    cparams.swa_full            = true;  // sliding-window models: keep every cell of every sequence
    cparams.no_perf             = true;

    log_capture       capture;
    llama_context_ptr ctx(llama_init_from_model(handle.model.get(), cparams));
    if (!ctx) {
        throw soo_error(SOO_ERROR_INTERNAL, "llama.cpp could not create a context (n_ctx " + std::to_string(key.n_ctx) +
                                                ", ubatch " + std::to_string(key.n_ubatch) + ")" + capture.suffix());
    }
    cache.emplace_back(key, std::move(ctx));
    return cache.back().second.get();
}

void taps_set_adapters(model_handle & handle, llama_context * ctx, const taps_params & p) {
    std::vector<llama_adapter_lora *> adapters;
    std::vector<float>                scales;
    for (const auto & [path, scale] : p.adapters) {
        adapters.push_back(model_handle_adapter(handle, path));
        scales.push_back(scale);
    }
    const int32_t rc = llama_set_adapters_lora(ctx, adapters.empty() ? nullptr : adapters.data(), adapters.size(),
                                               scales.empty() ? nullptr : scales.data());
    if (rc != 0) throw soo_error(SOO_ERROR_INTERNAL, "llama.cpp could not apply the LoRA adapters (code " + std::to_string(rc) + ")");
}

struct batch_guard {
    llama_batch batch;
    explicit batch_guard(int32_t n) : batch(llama_batch_init(n, 0, 1)) {}
    ~batch_guard() { llama_batch_free(batch); }
};

} // namespace

taps_result taps_capture(model_handle & handle, const taps_params & p,
                         const std::function<void(const taps_progress &)> & on_progress) {
    const auto t_start = clock_type::now();
    taps_validate(handle, p);
    handle.cancel_requested = false;

    const int32_t n_layer = handle.info.n_layer;
    size_t        longest = 0;
    int64_t       total   = 0;
    for (const auto & prompt : p.prompts) {
        longest = std::max(longest, prompt.size());
        total += (int64_t) prompt.size();
    }

    tap_context_key key;
    key.n_ubatch   = p.n_ubatch;
    // n_ctx >= n_ubatch, and n_seq_max <= n_batch: llama.cpp asserts both (output buffer sizing)
    key.n_ctx      = round_up(std::max({ p.n_ctx, p.n_ubatch, (uint32_t) longest }), 256);
    key.n_seq_max  = std::min(p.n_seq_max, p.n_ubatch);
    key.n_threads  = p.n_threads;
    key.type_kv    = p.type_kv;
    key.flash_attn = p.flash_attn;
    llama_context * ctx = taps_context(handle, key);
    taps_set_adapters(handle, ctx, p);

    tap_state & st = *handle.tap;
    tap_match_init(st.match, p.requests);
    st.stop_early = p.stop_early;
    st.rows.assign(p.requests.size(), {});
    st.n_rows.assign(p.requests.size(), 0);

    bool all_logits = false; // the last layer prunes rows to the tokens that need logits
    for (const auto & r : p.requests) all_logits = all_logits || r.layer == n_layer - 1;

    taps_result result;
    result.n_embd = handle.info.n_embd;
    result.activations.assign(p.prompts.size(), std::vector<std::vector<float>>(p.requests.size()));
    for (const auto & prompt : p.prompts) result.n_tokens.push_back((int32_t) prompt.size());

    batch_guard   guard((int32_t) key.n_ubatch);
    llama_batch & batch  = guard.batch;
    int64_t       done   = 0;
    size_t        next   = 0; // first prompt of the next pack
    std::vector<int64_t> width(p.requests.size(), -1);

    while (next < p.prompts.size()) {
        // 1. a pack: consecutive prompts that fit in the unified KV cache
        size_t   first = next;
        uint32_t used  = 0;
        while (next < p.prompts.size() && next - first < key.n_seq_max &&
               used + p.prompts[next].size() <= llama_n_ctx(ctx)) {
            used += (uint32_t) p.prompts[next].size();
            ++next;
        }
        // the stream of (prompt, position) in batch order
        std::vector<std::pair<size_t, int32_t>> stream;
        stream.reserve(used);
        for (size_t i = first; i < next; ++i) {
            for (int32_t pos = 0; pos < (int32_t) p.prompts[i].size(); ++pos) stream.emplace_back(i, pos);
        }
        std::vector<std::vector<float>> pack_rows(p.requests.size());
        llama_memory_clear(llama_get_memory(ctx), true);

        // 2. decode the pack ubatch by ubatch, collecting the tapped rows
        for (size_t begin = 0; begin < stream.size(); begin += key.n_ubatch) {
            if (handle.cancel_requested) throw soo_error(SOO_ERROR_CANCELLED, "taps cancelled");
            const size_t end = std::min(stream.size(), begin + key.n_ubatch);
            batch.n_tokens   = (int32_t) (end - begin);
            for (size_t k = begin; k < end; ++k) {
                const auto [prompt, pos] = stream[k];
                const int32_t j  = (int32_t) (k - begin);
                batch.token[j]     = p.prompts[prompt][pos];
                batch.pos[j]       = pos;
                batch.n_seq_id[j]  = 1;
                batch.seq_id[j][0] = (llama_seq_id) (prompt - first);
                batch.logits[j]    = (all_logits || k + 1 == end) ? 1 : 0;
            }
            tap_match_reset(st.match);
            std::fill(st.n_rows.begin(), st.n_rows.end(), 0);
            st.stopped = false;
            st.error.clear();

            log_capture capture;
            const auto  t0 = clock_type::now();
            const int   rc = llama_decode(ctx, batch);
            result.decode_ms += ms_since(t0);
            result.n_decodes += 1;
            result.stopped_early = result.stopped_early || st.stopped;
            if (rc == 2 || handle.cancel_requested) throw soo_error(SOO_ERROR_CANCELLED, "taps cancelled");
            if (!st.error.empty()) throw soo_error(SOO_ERROR_INTERNAL, st.error);
            if (rc != 0) {
                throw soo_error(SOO_ERROR_INTERNAL, "llama_decode failed with code " + std::to_string(rc) + capture.suffix());
            }
            for (size_t i = 0; i < p.requests.size(); ++i) {
                if (st.n_rows[i] == 0) {
                    throw soo_error(SOO_ERROR_INTERNAL, "no node of the " + handle.info.architecture + " graph matched " +
                                                            request_label(p.requests[i]) + " (file: " + handle.info.path + ")");
                }
                if (st.n_rows[i] != batch.n_tokens) {
                    throw soo_error(SOO_ERROR_INTERNAL, request_label(p.requests[i]) + " gave " + std::to_string(st.n_rows[i]) +
                                                            " rows for a ubatch of " + std::to_string(batch.n_tokens) + " tokens");
                }
                const int64_t w = (int64_t) st.rows[i].size() / st.n_rows[i];
                if (width[i] >= 0 && width[i] != w) {
                    throw soo_error(SOO_ERROR_INTERNAL, request_label(p.requests[i]) + " changed width between ubatches");
                }
                width[i] = w;
                pack_rows[i].insert(pack_rows[i].end(), st.rows[i].begin(), st.rows[i].end());
            }
            done += batch.n_tokens;
            if (on_progress) on_progress({ done, total });
        }

        // 3. cut the pack's rows per prompt (stream order = prompt order)
        for (size_t i = 0; i < p.requests.size(); ++i) {
            size_t offset = 0;
            for (size_t prompt = first; prompt < next; ++prompt) {
                const size_t n = p.prompts[prompt].size() * (size_t) width[i];
                result.activations[prompt][i].assign(pack_rows[i].begin() + offset, pack_rows[i].begin() + offset + n);
                offset += n;
            }
        }
    }
    result.widths.assign(width.begin(), width.end());
    result.total_ms = ms_since(t_start);
    return result;
}
