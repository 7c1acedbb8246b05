// soo-trainer: see soo-trainer.h.
#include "train/soo-trainer.h"

#include "errors.h"
#include "ggml-cpu.h"
#include "gguf.h"
#include "train/cpu-bufts.h"
#include "train/graph-llama.h"
#include "train/rng.h"
#include "train/self-anchor.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace {

// stream ids for train_rng (see rng.h): one per purpose
const uint64_t RNG_SHUFFLE = 3;
const uint64_t RNG_DROPOUT = 2;

[[noreturn]] void throw_bad(const std::string & what) {
    throw soo_error(SOO_ERROR_BAD_INPUT, what);
}

uint64_t hash_pairs(const std::vector<soo_pair> & pairs) {
    uint64_t h = 0xcbf29ce484222325ull; // FNV-1a 64 over (n_self, self ids, n_other, other ids) per pair
    auto mix = [&](uint64_t x) { for (int i = 0; i < 8; ++i) { h ^= (x >> (8 * i)) & 0xff; h *= 0x100000001b3ull; } };
    for (const soo_pair & p : pairs) {
        mix(p.self.size());  for (int32_t t : p.self)  mix((uint32_t) t);
        mix(p.other.size()); for (int32_t t : p.other) mix((uint32_t) t);
    }
    return h;
}

std::string hex64(uint64_t x) {
    char buf[17];
    snprintf(buf, sizeof(buf), "%016" PRIx64, x);
    return buf;
}

std::string join(const std::vector<std::string> & v) {
    std::string s;
    for (const std::string & x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

void validate_params(const soo_train_params & p, const std::vector<soo_pair> & pairs) {
    if (p.epochs < 1)  throw_bad("epochs must be >= 1, got " + std::to_string(p.epochs));
    if (p.batch < 1)   throw_bad("batch must be >= 1, got " + std::to_string(p.batch));
    if (p.n_threads < 1) throw_bad("threads must be >= 1, got " + std::to_string(p.n_threads));
    if (!(p.self_anchor >= 0.0f && std::isfinite(p.self_anchor))) throw_bad("self_anchor must be a finite number >= 0, got " + std::to_string(p.self_anchor));
    if (!(p.dropout >= 0.0f && p.dropout < 1.0f)) throw_bad("dropout must be in [0, 1), got " + std::to_string(p.dropout));
    if (p.checkpoint_every < 0) throw_bad("checkpoint_every must be >= 0");
    if (p.checkpoint_every > 0 && p.checkpoint_path.empty()) throw_bad("checkpoint_every is set but checkpoint_path is empty");
    const adamw_params & o = p.optimizer;
    if (!(o.lr > 0.0f) || !(o.beta1 >= 0.0f && o.beta1 < 1.0f) || !(o.beta2 >= 0.0f && o.beta2 < 1.0f) || !(o.eps > 0.0f) || !(o.weight_decay >= 0.0f)) {
        throw_bad("invalid AdamW settings: need lr > 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0");
    }
    const auto & known = base_weights_lora_targets();
    if (p.targets.empty()) throw_bad("no LoRA targets given (e.g. attn_q, attn_v)");
    for (const std::string & t : p.targets) {
        if (std::find(known.begin(), known.end(), t) == known.end()) {
            throw_bad("unknown LoRA target '" + t + "' (known: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down)");
        }
    }
    if (p.rank < 1) throw_bad("LoRA rank must be >= 1, got " + std::to_string(p.rank));
    if (!(p.alpha > 0.0f)) throw_bad("LoRA alpha must be > 0, got " + std::to_string(p.alpha));
    if (p.layer == 0 && p.point == SOO_POINT_ATTN_OUT && std::all_of(p.targets.begin(), p.targets.end(), [](const std::string & t) { return t.rfind("ffn_", 0) == 0; })) {
        throw_bad("no LoRA weights to train: the FFN targets of layer 0 are above its attn_out tap, and there are no layers below it (hint: add an attention target)");
    }
    if (pairs.empty()) throw_bad("no training pairs given");
    for (size_t i = 0; i < pairs.size(); ++i) {
        soo_loss_check(p.positions, (int64_t) pairs[i].self.size(), (int64_t) pairs[i].other.size(), "pair " + std::to_string(i));
    }
}

void validate_tokens(const std::vector<soo_pair> & pairs, int64_t n_vocab) {
    for (size_t i = 0; i < pairs.size(); ++i) {
        for (const auto * seq : { &pairs[i].self, &pairs[i].other }) {
            for (int32_t t : *seq) {
                if (t < 0 || t >= n_vocab) {
                    throw_bad("pair " + std::to_string(i) + ": token id " + std::to_string(t) + " is outside the vocabulary [0, " +
                              std::to_string(n_vocab) + ") (hint: tokenized with another model?)");
                }
            }
        }
    }
}

// The checkpoint must come from the same settings, or the curve cannot continue (nanoGPT's resume rule).
void check_resume_config(const lora_io_file & f, const soo_trainer & tr) {
    const gguf_context * g = f.meta.get();
    auto str = [&](const char * key) -> std::string {
        const int64_t id = gguf_find_key(g, key);
        if (id < 0 && std::string(key) == "soo_lab.train.point") return "attn_out"; // checkpoints written before the choice existed
        return id >= 0 && gguf_get_kv_type(g, id) == GGUF_TYPE_STRING ? gguf_get_val_str(g, id) : "<missing>";
    };
    const soo_train_params & p = tr.params;
    const std::pair<const char *, std::string> want[] = {
        { "soo_lab.train.layer",      std::to_string(p.layer) },
        { "soo_lab.train.targets",    join(p.targets) },
        { "soo_lab.train.rank",       std::to_string(p.rank) },
        { "soo_lab.train.positions",  soo_positions_name(p.positions) },
        { "soo_lab.train.point",      soo_point_name(p.point) },
        { "soo_lab.train.seed",       std::to_string(p.seed) },
        { "soo_lab.train.batch",      std::to_string(p.batch) },
        { "soo_lab.train.pairs_hash", hex64(tr.pairs_hash) },
    };
    for (const auto & [key, value] : want) {
        if (str(key) != value) {
            throw soo_error(SOO_ERROR_BAD_INPUT, "'" + f.path + "': checkpoint has " + key + " = " + str(key) + " but this run asks for " +
                            value + " (hint: resume with the settings and pairs of the original run)", f.path);
        }
    }
}

int64_t checkpoint_step(const lora_io_file & f) {
    const int64_t id = gguf_find_key(f.meta.get(), "soo_lab.checkpoint.step");
    if (id < 0 || gguf_get_kv_type(f.meta.get(), id) != GGUF_TYPE_UINT64) {
        throw soo_error(SOO_ERROR_BAD_INPUT, "'" + f.path + "': not a training checkpoint (no soo_lab.checkpoint.step; an adapter alone cannot resume)", f.path);
    }
    return (int64_t) gguf_get_val_u64(f.meta.get(), id);
}

// The loss curve up to `step` ([step] f32). Checkpoints written before the curve was recorded have none:
// NaN stands for those steps (their losses live only in the caller's store).
std::vector<float> checkpoint_losses(const lora_io_file & f, int64_t step) {
    const int64_t id = gguf_find_key(f.meta.get(), "soo_lab.checkpoint.losses");
    if (id < 0) return std::vector<float>((size_t) step, std::numeric_limits<float>::quiet_NaN());
    if (gguf_get_kv_type(f.meta.get(), id) != GGUF_TYPE_ARRAY || gguf_get_arr_type(f.meta.get(), id) != GGUF_TYPE_FLOAT32 ||
        (int64_t) gguf_get_arr_n(f.meta.get(), id) != step) {
        throw soo_error(SOO_ERROR_BAD_INPUT, "'" + f.path + "': soo_lab.checkpoint.losses is not an f32 array of one loss per step", f.path);
    }
    const float * data = (const float *) gguf_get_arr_data(f.meta.get(), id);
    return std::vector<float>(data, data + step);
}

void set_train_kv(const soo_trainer & tr, gguf_context * g) {
    const soo_train_params & p = tr.params;
    // strings, so resume compares exactly what was written
    gguf_set_val_str(g, "soo_lab.train.layer", std::to_string(p.layer).c_str());
    gguf_set_val_str(g, "soo_lab.train.targets", join(p.targets).c_str());
    gguf_set_val_str(g, "soo_lab.train.rank", std::to_string(p.rank).c_str());
    gguf_set_val_str(g, "soo_lab.train.positions", soo_positions_name(p.positions));
    gguf_set_val_str(g, "soo_lab.train.point", soo_point_name(p.point));
    gguf_set_val_str(g, "soo_lab.train.seed", std::to_string(p.seed).c_str());
    gguf_set_val_str(g, "soo_lab.train.batch", std::to_string(p.batch).c_str());
    gguf_set_val_str(g, "soo_lab.train.pairs_hash", hex64(tr.pairs_hash).c_str());
    gguf_set_val_f32(g, "soo_lab.train.alpha", p.alpha);
    gguf_set_val_f32(g, "soo_lab.train.dropout", p.dropout);
    gguf_set_val_f32(g, "soo_lab.train.self_anchor", p.self_anchor);
    gguf_set_val_f32(g, "soo_lab.train.lr", p.optimizer.lr);
    gguf_set_val_f32(g, "soo_lab.train.beta1", p.optimizer.beta1);
    gguf_set_val_f32(g, "soo_lab.train.beta2", p.optimizer.beta2);
    gguf_set_val_f32(g, "soo_lab.train.weight_decay", p.optimizer.weight_decay);
    gguf_set_val_u32(g, "soo_lab.train.epochs", (uint32_t) p.epochs);
    gguf_set_val_u64(g, "soo_lab.train.steps", (uint64_t) tr.optim->step);
    gguf_set_val_u32(g, "soo_lab.train.n_pairs", (uint32_t) tr.pairs.size());
    gguf_set_val_str(g, "soo_lab.train.base_model", tr.base->path.c_str());
}

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace

std::unique_ptr<soo_trainer> soo_trainer_init(const soo_train_params & params, const std::vector<soo_pair> & pairs) {
    // 1. cheap checks first: settings, pairs, model metadata, tokens
    validate_params(params, pairs);
    const base_hparams hp = base_weights_read_hparams(params.model_path, params.layer);
    validate_tokens(pairs, hp.n_vocab);

    auto tr = std::make_unique<soo_trainer>();
    tr->params     = params;
    tr->pairs      = pairs;
    tr->pairs_hash = hash_pairs(pairs);
    if (params.log) {
        params.log("soo-train: attention from the fresh K/V of the training graph (no KV cache) and flash attention off: "
                   "neither has a backward pass in ggml");
    }

    // 2. backend and frozen weights of layers 0..L
    tr->backend.reset(ggml_backend_cpu_init());
    if (!tr->backend) throw soo_error(SOO_ERROR_INTERNAL, "cannot initialise the CPU backend");
    ggml_backend_cpu_set_n_threads(tr->backend.get(), params.n_threads);
    ggml_threadpool_params tpp = ggml_threadpool_params_default(params.n_threads);
    tr->threadpool.reset(ggml_threadpool_new(&tpp));
    if (!tr->threadpool) throw soo_error(SOO_ERROR_INTERNAL, "cannot create the CPU thread pool");
    ggml_backend_cpu_set_threadpool(tr->backend.get(), tr->threadpool.get());
    ggml_backend_buffer_type_t buft = ggml_backend_get_default_buffer_type(tr->backend.get());
    // repacked weight layouts (AMX, AVX2/NEON GEMMs) serve MUL_MAT only: allowed with fast-backward
    const cpu_bufts bufts = cpu_bufts_init(tr->backend.get(), params.fast_backward && params.repacked_weights);
    std::vector<int32_t> token_ids; // token_embd rows to load: those of the pairs (base-weights.h says why)
    for (const soo_pair & p : pairs) for (const auto * seq : { &p.self, &p.other }) token_ids.insert(token_ids.end(), seq->begin(), seq->end());
    tr->base = base_weights_load(params.model_path, params.layer, bufts, token_ids);
    if (params.fast_backward) tr->fast_bw = fast_backward_init(*tr->base, bufts, params.transposed_copies);
    if (params.log) {
        std::string where;
        for (const auto & b : tr->base->bufs) where += std::string(where.empty() ? "" : ", ") + ggml_backend_buffer_name(b.get());
        if (tr->fast_bw) for (const auto & b : tr->fast_bw->bufs) where += std::string(", W^T: ") + ggml_backend_buffer_name(b.get());
        params.log("soo-train: layers 0.." + std::to_string(params.layer) + " loaded (" + std::to_string(tr->base->n_bytes >> 20) +
                   " MiB) into " + where + (!params.fast_backward ? "; ggml OUT_PROD backward" :
                   "; fast backward: " + std::to_string(tr->fast_bw->dequant.size()) + " W read in place, " +
                   std::to_string(tr->fast_bw->transposed.size()) + " W^T copies (" + std::to_string(tr->fast_bw->n_bytes >> 20) + " MiB)"));
    }

    // 3. adapter: fresh (A random, B = 0) or from a checkpoint
    lora_io_file ckpt;
    if (params.resume_from.empty()) {
        tr->lora = lora_weights_init(*tr->base, params.targets, params.rank, params.alpha, params.seed, buft,
                                     /*ffn_of_last*/ params.point != SOO_POINT_ATTN_OUT);
    } else {
        ckpt = lora_io_read(params.resume_from);
        check_resume_config(ckpt, *tr);
        tr->lora = lora_weights_from_file(ckpt, tr->base.get(), buft);
    }

    // 4. optimizer over every A and B
    std::vector<ggml_tensor *> trainable;
    for (const lora_tensor & t : tr->lora->tensors) {
        ggml_set_param(t.a);
        ggml_set_param(t.b);
        trainable.push_back(t.a);
        trainable.push_back(t.b);
    }
    tr->optim = adamw_init(trainable, tr->backend.get());
    if (!params.resume_from.empty()) {
        const int64_t step = checkpoint_step(ckpt);
        if (step > tr->n_steps()) {
            throw soo_error(SOO_ERROR_BAD_INPUT, "'" + params.resume_from + "': checkpoint is at step " + std::to_string(step) +
                            " but this run has only " + std::to_string(tr->n_steps()) + " steps", params.resume_from);
        }
        adamw_checkpoint_restore(*tr->optim, ckpt, step);
        tr->losses = checkpoint_losses(ckpt, step);
    }

    // 5. the loss gradient seed and the compute allocator
    ggml_init_params ip = { ggml_tensor_overhead() * 2, nullptr, true };
    tr->ctx_static.reset(ggml_init(ip));
    tr->loss_grad = ggml_new_tensor_1d(tr->ctx_static.get(), GGML_TYPE_F32, 1);
    ggml_set_name(tr->loss_grad, "soo_loss_grad");
    tr->buf_static.reset(ggml_backend_alloc_ctx_tensors_from_buft(tr->ctx_static.get(), buft));
    tr->galloc.reset(ggml_gallocr_new(buft));
    return tr;
}

float soo_trainer_pair_loss(soo_trainer & tr, const soo_pair & pair, bool backward, bool train, float grad_scale, uint64_t dropout_stream,
                            float * anchor_out) {
    const int64_t n_self = (int64_t) pair.self.size(), n_other = (int64_t) pair.other.size();
    soo_loss_check(tr.params.positions, n_self, n_other, "pair");
    validate_tokens({ pair }, tr.base->hp.n_vocab); // get_rows would abort on an out-of-range id
    const bool dropout  = train && tr.params.dropout > 0.0f;
    const bool anchored = tr.params.self_anchor > 0.0f;      // the anchor is in the objective
    const bool with_anchor = anchored || anchor_out != nullptr; // the anchor is computed

    // graph metadata lives in a reused arena; tensors are placed by the allocator. The anchor adds a forward.
    const size_t graph_size = (with_anchor ? 2 : 1) * (1024 + 768 * (size_t) tr.base->n_layer_loaded);
    const size_t mem = ggml_tensor_overhead() * graph_size * 2 + ggml_graph_overhead_custom(graph_size, backward);
    tr.graph_mem.resize(mem);
    ggml_init_params ip = { mem, tr.graph_mem.data(), /*no_alloc*/ true };
    ggml_context_ptr ctx(ggml_init(ip));

    graph_llama_inputs     in   = graph_llama_new_inputs(ctx.get(), tr.lora.get(), n_self, n_other, dropout);
    const graph_llama_taps taps = graph_llama_build(ctx.get(), *tr.base, tr.lora.get(), in);
    ggml_tensor * tapped    = tr.params.point == SOO_POINT_ATTN_OUT ? taps.attn_out : tr.params.point == SOO_POINT_MLP_OUT ? taps.ffn_out : taps.l_out;
    ggml_tensor * loss      = soo_loss_build(ctx.get(), tapped, n_self, n_other, tr.params.positions);
    ggml_tensor * anchor    = nullptr;
    ggml_tensor * objective = loss; // what the backward pass differentiates
    graph_llama_inputs in_base;     // the self tokens alone, no adapter: the anchor's reference
    if (with_anchor) {
        in_base = graph_llama_new_inputs(ctx.get(), nullptr, n_self, 0, false);
        const graph_llama_taps base_taps = graph_llama_build(ctx.get(), *tr.base, nullptr, in_base);
        anchor = self_anchor_build(ctx.get(), taps.l_out, base_taps.l_out, n_self);
        ggml_set_output(anchor);
    }
    if (anchored) {
        objective = ggml_add(ctx.get(), loss, ggml_scale(ctx.get(), anchor, tr.params.self_anchor));
        ggml_set_name(objective, "soo_objective");
    }
    ggml_set_output(loss);
    ggml_set_output(objective);

    ggml_cgraph * gf = ggml_new_graph_custom(ctx.get(), graph_size, backward);
    ggml_build_forward_expand(gf, objective);
    if (anchor) ggml_build_forward_expand(gf, anchor); // already in when anchored; measured only otherwise
    if (backward) {
        // gradients accumulate into the optimizer's tensors; the objective gets a static seed = grad_scale
        ggml_set_loss(objective);
        std::vector<ggml_tensor *> accs(ggml_graph_n_nodes(gf), nullptr);
        for (int i = 0; i < ggml_graph_n_nodes(gf); ++i) {
            ggml_tensor * node = ggml_graph_node(gf, i);
            const int ip = tr.optim->find(node);
            if (ip >= 0) accs[i] = tr.optim->grads[ip];
            if (node == objective) accs[i] = tr.loss_grad;
        }
        ggml_build_backward_expand(ctx.get(), gf, accs.data());
        if (tr.fast_bw) fast_backward_rewrite(*tr.fast_bw, gf);
    }
    if (!ggml_gallocr_alloc_graph(tr.galloc.get(), gf)) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the training graph (out of memory?)");

    // token ids -> rows of the loaded token_embd (only the init pairs' rows are loaded)
    auto rows = [&](const std::vector<int32_t> & ids) {
        std::vector<int32_t> r(ids.size());
        for (size_t i = 0; i < ids.size(); ++i) {
            r[i] = base_weights_token_row(*tr.base, ids[i]);
            if (r[i] < 0) throw soo_error(SOO_ERROR_BAD_INPUT, "token id " + std::to_string(ids[i]) + " is in none of the pairs this trainer was created with (only their embedding rows are loaded)");
        }
        return r;
    };
    graph_llama_set_inputs(in, rows(pair.self), rows(pair.other));
    if (with_anchor) graph_llama_set_inputs(in_base, rows(pair.self), {});
    if (dropout) {
        // inverted dropout: keep with probability 1-p, scale kept values by 1/(1-p)
        const float p = tr.params.dropout, keep = 1.0f / (1.0f - p);
        std::vector<float> m;
        for (size_t i = 0; i < in.dropout.size(); ++i) {
            train_rng rng(tr.params.seed, RNG_DROPOUT, dropout_stream, i);
            m.resize(ggml_nelements(in.dropout[i]));
            for (float & x : m) x = rng.uniform() < p ? 0.0f : keep;
            ggml_backend_tensor_set(in.dropout[i], m.data(), 0, ggml_nbytes(in.dropout[i]));
        }
    }
    if (backward) ggml_backend_tensor_set(tr.loss_grad, &grad_scale, 0, sizeof(float));

    if (ggml_backend_graph_compute(tr.backend.get(), gf) != GGML_STATUS_SUCCESS) {
        throw soo_error(SOO_ERROR_INTERNAL, "the training graph failed to compute");
    }
    float value = 0.0f, anchor_value = 0.0f;
    ggml_backend_tensor_get(loss, &value, 0, sizeof(float));
    if (anchor) ggml_backend_tensor_get(anchor, &anchor_value, 0, sizeof(float));
    if (anchor_out) *anchor_out = anchor_value;
    return value;
}

soo_train_result soo_trainer_run(soo_trainer & tr, const std::function<void(const soo_train_progress &)> & on_progress,
                                 const std::atomic<bool> * cancel) {
    soo_train_result res;
    const int64_t n_pairs = (int64_t) tr.pairs.size(), spe = tr.steps_per_epoch(), n_steps = tr.n_steps();
    std::vector<int64_t> order(n_pairs);
    int64_t order_epoch = -1;

    while (tr.optim->step < n_steps) {
        const int64_t s = tr.optim->step, epoch = s / spe, first = (s % spe) * tr.params.batch;
        if (epoch != order_epoch) { // Fisher-Yates shuffle of this epoch, from (seed, epoch)
            std::iota(order.begin(), order.end(), 0);
            train_rng rng(tr.params.seed, RNG_SHUFFLE, (uint64_t) epoch);
            for (int64_t i = n_pairs - 1; i > 0; --i) std::swap(order[i], order[(int64_t) rng.below((uint64_t) i + 1)]);
            order_epoch = epoch;
        }
        const int64_t last = std::min(first + tr.params.batch, n_pairs);
        const double t0 = now_ms();
        double loss = 0.0, anchor = 0.0;
        int64_t n_tokens = 0;
        for (int64_t j = first; j < last; ++j) {
            const soo_pair & pair = tr.pairs[order[j]];
            float pair_anchor = 0.0f; // reported only when the anchor is in the objective (no extra forward otherwise)
            loss += soo_trainer_pair_loss(tr, pair, /*backward*/ true, /*train*/ true, 1.0f / (float) (last - first),
                                          (uint64_t) s * (uint64_t) tr.params.batch + (uint64_t) (j - first),
                                          tr.params.self_anchor > 0.0f ? &pair_anchor : nullptr);
            anchor += pair_anchor;
            n_tokens += (int64_t) (pair.self.size() + pair.other.size());
        }
        adamw_step(*tr.optim, tr.params.optimizer, tr.backend.get());
        const double dt = now_ms() - t0;

        soo_train_progress pr;
        pr.step         = tr.optim->step;
        pr.n_steps      = n_steps;
        pr.epoch        = (int) epoch;
        pr.loss         = (float) (loss / (double) (last - first));
        pr.anchor       = (float) (anchor / (double) (last - first));
        pr.step_ms      = dt;
        pr.tokens_per_s = dt > 0 ? (double) n_tokens / (dt / 1000.0) : 0.0;
        res.losses.push_back(pr.loss);
        tr.losses.push_back(pr.loss);
        if (on_progress) on_progress(pr);

        if (tr.params.checkpoint_every > 0 && tr.optim->step % tr.params.checkpoint_every == 0) {
            soo_trainer_save_checkpoint(tr, tr.params.checkpoint_path);
        }
        if (cancel && cancel->load()) { res.cancelled = true; break; }
    }
    res.steps = tr.optim->step;
    return res;
}

void soo_trainer_save_adapter(const soo_trainer & tr, const std::string & path) {
    lora_io_write(path, *tr.lora, tr.base->hp.arch_name, [&](gguf_context * g) { set_train_kv(tr, g); });
}

void soo_trainer_save_checkpoint(const soo_trainer & tr, const std::string & path) {
    lora_io_write(path, *tr.lora, tr.base->hp.arch_name, [&](gguf_context * g) {
        set_train_kv(tr, g);
        gguf_set_val_u64(g, "soo_lab.checkpoint.step", (uint64_t) tr.optim->step);
        gguf_set_arr_data(g, "soo_lab.checkpoint.losses", GGUF_TYPE_FLOAT32, tr.losses.data(), tr.losses.size());
        // every random draw is a function of (seed, purpose, step, pair): the step IS the rng state
        gguf_set_val_str(g, "soo_lab.checkpoint.rng", ("xoshiro256** streams of (seed=" + std::to_string(tr.params.seed) + ", step)").c_str());
    }, adamw_checkpoint_tensors(*tr.optim));
}
