// lm-trainer: see lm-trainer.h.
#include "lm/lm-trainer.h"

#include "errors.h"
#include "ggml-cpu.h"
#include "lm/lm-fast-backward.h"
#include "train/rng.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <numeric>

namespace {

const uint64_t RNG_SHUFFLE = 11; // stream id (rng.h): the per-epoch order of the sequences
const uint64_t RNG_BUCKETS = 12; // stream id: the order of the length-sorted batches inside a chunk

[[noreturn]] void throw_bad(const std::string & what) { throw soo_error(SOO_ERROR_BAD_INPUT, "trainLm: " + what); }

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string num(double x) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%.9g", x);
    return buf;
}

} // namespace

// Everything that does not need the model file.
void lm_trainer_validate(const lm_train_params & p, const std::vector<lm_sequence> & seqs) {
    if (p.steps < 1)     throw_bad("steps must be >= 1, got " + std::to_string(p.steps));
    if (p.batch < 1)     throw_bad("batch must be >= 1, got " + std::to_string(p.batch));
    if (p.n_threads < 1) throw_bad("threads must be >= 1, got " + std::to_string(p.n_threads));
    if (!(p.lr > 0.0f) || !std::isfinite(p.lr)) throw_bad("lr must be > 0, got " + num(p.lr));
    if (!(p.lr_min >= 0.0f && p.lr_min <= p.lr)) throw_bad("lrMin must be in [0, lr], got " + num(p.lr_min));
    if (p.warmup < 0)    throw_bad("warmup must be >= 0, got " + std::to_string(p.warmup));
    if (!(p.weight_decay >= 0.0f)) throw_bad("weightDecay must be >= 0, got " + num(p.weight_decay));
    if (!(p.beta1 >= 0.0f && p.beta1 < 1.0f)) throw_bad("beta1 must be in [0, 1), got " + num(p.beta1));
    if (!(p.beta2 >= 0.0f && p.beta2 < 1.0f)) throw_bad("beta2 must be in [0, 1), got " + num(p.beta2));
    if (!(p.eps > 0.0f)) throw_bad("eps must be > 0, got " + num(p.eps));
    if (!(p.grad_clip >= 0.0f) || !std::isfinite(p.grad_clip)) throw_bad("gradClip must be >= 0 (0 = off), got " + num(p.grad_clip));
    if (p.length_buckets < 0) throw_bad("lengthBuckets must be >= 0 (0 = off), got " + std::to_string(p.length_buckets));
    if (seqs.empty()) throw_bad("sequences is empty");
    double total = 0;
    for (size_t i = 0; i < seqs.size(); ++i) {
        const std::string f = "sequences[" + std::to_string(i) + "]";
        if (seqs[i].tokens.size() < 2) throw_bad(f + ".tokens has " + std::to_string(seqs[i].tokens.size()) + " tokens; need at least 2 (one prediction)");
        if (seqs[i].weights.size() != seqs[i].tokens.size()) {
            throw_bad(f + ".weights has length " + std::to_string(seqs[i].weights.size()) + " but tokens has " + std::to_string(seqs[i].tokens.size()));
        }
        for (size_t j = 0; j < seqs[i].weights.size(); ++j) {
            const float w = seqs[i].weights[j];
            if (!(w >= 0.0f) || !std::isfinite(w)) throw_bad(f + ".weights[" + std::to_string(j) + "] must be finite and >= 0, got " + num(w));
            if (j > 0) total += w;
        }
    }
    if (!(total > 0)) throw_bad("sequences: every loss weight (weights[1..]) is 0: nothing to train");
}

namespace {

// Everything that needs the model's hyper-parameters and tensor names.
void validate_against_model(const lm_train_params & p, const std::vector<lm_sequence> & seqs, const lm_model & m) {
    for (size_t i = 0; i < p.frozen.size(); ++i) {
        if (!m.find(p.frozen[i])) {
            throw soo_error(SOO_ERROR_BAD_INPUT, "trainLm: frozen[" + std::to_string(i) + "] = '" + p.frozen[i] + "' is not a tensor of '" +
                            m.path + "' (e.g. token_embd.weight, blk.0.attn_q.weight, output_norm.weight)", m.path);
        }
    }
    // the loss gathers target probabilities by an int32 flat index over [n_vocab, T*B]
    int64_t longest = 0;
    for (const lm_sequence & q : seqs) longest = std::max<int64_t>(longest, (int64_t) q.tokens.size());
    const int64_t T = (longest + LM_PAD_MULTIPLE - 1) / LM_PAD_MULTIPLE * LM_PAD_MULTIPLE;
    const int64_t B = std::min<int64_t>(p.batch, (int64_t) seqs.size());
    if (T * B * m.hp.n_vocab >= INT32_MAX) {
        throw soo_error(SOO_ERROR_BAD_INPUT, "trainLm: batch " + std::to_string(B) + " x " + std::to_string(T) + " tokens x vocabulary " +
                        std::to_string(m.hp.n_vocab) + " is too large for one step (logits over 2^31 entries): lower batch", m.path);
    }
    for (size_t i = 0; i < seqs.size(); ++i) {
        const std::string f = "sequences[" + std::to_string(i) + "]";
        if ((int64_t) seqs[i].tokens.size() > m.n_ctx) {
            throw soo_error(SOO_ERROR_BAD_INPUT, "trainLm: " + f + ".tokens has " + std::to_string(seqs[i].tokens.size()) +
                            " tokens, more than the model's context of " + std::to_string(m.n_ctx) + " ('" + m.path + "')", m.path);
        }
        for (size_t j = 0; j < seqs[i].tokens.size(); ++j) {
            const int32_t t = seqs[i].tokens[j];
            if (t < 0 || t >= m.hp.n_vocab) {
                throw soo_error(SOO_ERROR_BAD_INPUT, "trainLm: " + f + ".tokens[" + std::to_string(j) + "] = " + std::to_string(t) +
                                " is outside the vocabulary [0, " + std::to_string(m.hp.n_vocab) + ") of '" + m.path + "'", m.path);
            }
        }
    }
}

lm_step_graph & step_graph(lm_trainer & tr, int64_t T, int64_t B, bool backward) {
    const int64_t key = (T << 32) | (B << 1) | (backward ? 1 : 0); // T <= n_ctx, B < 2^31 (int32 gather check)
    auto it = tr.graphs.find(key);
    if (it != tr.graphs.end()) { it->second->last_used = ++tr.n_graph_uses; return *it->second; }
    if ((int) tr.graphs.size() >= LM_MAX_GRAPHS) {
        auto lru = tr.graphs.begin();
        for (auto jt = tr.graphs.begin(); jt != tr.graphs.end(); ++jt) if (jt->second->last_used < lru->second->last_used) lru = jt;
        tr.graphs.erase(lru);
    }

    auto sg = std::make_unique<lm_step_graph>();
    const size_t graph_size = 1024 + 512 * (size_t) tr.model->hp.n_layer;
    sg->mem.resize(ggml_tensor_overhead() * graph_size * 3 + ggml_graph_overhead_custom(graph_size, backward) +
                   ggml_graph_overhead_custom(graph_size, false)); // + the rewritten graph
    ggml_init_params ip = { sg->mem.size(), sg->mem.data(), /*no_alloc*/ true };
    sg->ctx.reset(ggml_init(ip));
    ggml_context * ctx = sg->ctx.get();
    sg->g = lm_graph_build(ctx, *tr.model, T, B);
    ggml_set_output(sg->g.loss);
    sg->gf = ggml_new_graph_custom(ctx, graph_size, backward);
    ggml_build_forward_expand(sg->gf, sg->g.loss);
    if (backward) {
        // gradients accumulate into the optimizers' tensors; the loss's gradient is a static 1
        ggml_set_loss(sg->g.loss);
        const auto pg = lm_trainer_params_grads(tr);
        std::vector<ggml_tensor *> accs(ggml_graph_n_nodes(sg->gf), nullptr);
        for (int i = 0; i < ggml_graph_n_nodes(sg->gf); ++i) {
            ggml_tensor * node = ggml_graph_node(sg->gf, i);
            for (const auto & [p, g] : pg) if (node == p) accs[i] = g;
            if (node == sg->g.loss) accs[i] = tr.loss_grad;
        }
        ggml_build_backward_expand(ctx, sg->gf, accs.data());
        if (tr.params.fast_backward) sg->gf = lm_fast_backward_rewrite(ctx, sg->gf, graph_size);
    }
    sg->galloc.reset(ggml_gallocr_new(ggml_backend_get_default_buffer_type(tr.backend.get())));
    if (!ggml_gallocr_alloc_graph(sg->galloc.get(), sg->gf)) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the training graph (out of memory?)");
    sg->last_used = ++tr.n_graph_uses;
    return *(tr.graphs[key] = std::move(sg));
}

void clip_grads(lm_trainer & tr, float max_norm) {
    const auto pg = lm_trainer_params_grads(tr);
    double ss = 0;
    std::vector<float> g;
    for (const auto & pr : pg) {
        g.resize(ggml_nelements(pr.second));
        ggml_backend_tensor_get(pr.second, g.data(), 0, ggml_nbytes(pr.second));
        for (float x : g) ss += (double) x * x;
    }
    const double norm = std::sqrt(ss);
    if (!(norm > max_norm)) return;
    const float scale = (float) (max_norm / norm);
    for (const auto & pr : pg) {
        g.resize(ggml_nelements(pr.second));
        ggml_backend_tensor_get(pr.second, g.data(), 0, ggml_nbytes(pr.second));
        for (float & x : g) x *= scale;
        ggml_backend_tensor_set(pr.second, g.data(), 0, ggml_nbytes(pr.second));
    }
}

} // namespace

std::vector<std::pair<ggml_tensor *, ggml_tensor *>> lm_trainer_params_grads(const lm_trainer & tr) {
    std::vector<std::pair<ggml_tensor *, ggml_tensor *>> out;
    for (const adamw_state * st : { tr.optim_decay.get(), tr.optim_no_decay.get() }) {
        if (!st) continue;
        for (size_t i = 0; i < st->params.size(); ++i) out.emplace_back(st->params[i], st->grads[i]);
    }
    return out;
}

std::unique_ptr<lm_trainer> lm_trainer_init(const lm_train_params & params, std::vector<lm_sequence> seqs) {
    lm_trainer_validate(params, seqs);

    auto tr = std::make_unique<lm_trainer>();
    tr->params = params;
    tr->seqs   = std::move(seqs);

    tr->backend.reset(ggml_backend_cpu_init());
    if (!tr->backend) throw soo_error(SOO_ERROR_INTERNAL, "cannot initialise the CPU backend");
    ggml_backend_cpu_set_n_threads(tr->backend.get(), params.n_threads);
    ggml_threadpool_params tpp = ggml_threadpool_params_default(params.n_threads);
    tr->threadpool.reset(ggml_threadpool_new(&tpp));
    if (!tr->threadpool) throw soo_error(SOO_ERROR_INTERNAL, "cannot create the CPU thread pool");
    ggml_backend_cpu_set_threadpool(tr->backend.get(), tr->threadpool.get());
    ggml_backend_buffer_type_t buft = ggml_backend_get_default_buffer_type(tr->backend.get());

    tr->model = lm_model_load(params.model_path, buft);
    validate_against_model(params, tr->seqs, *tr->model);

    // trainable = every tensor not frozen; split by rank for weight decay
    std::vector<ggml_tensor *> decay, no_decay;
    for (ggml_tensor * t : tr->model->tensors) {
        if (std::find(params.frozen.begin(), params.frozen.end(), t->name) != params.frozen.end()) continue;
        ggml_set_param(t);
        (ggml_n_dims(t) >= 2 ? decay : no_decay).push_back(t);
    }
    if (decay.empty() && no_decay.empty()) throw_bad("frozen lists every tensor of the model: nothing to train");
    if (!decay.empty())    tr->optim_decay    = adamw_init(decay, tr->backend.get());
    if (!no_decay.empty()) tr->optim_no_decay = adamw_init(no_decay, tr->backend.get());

    ggml_init_params ip = { ggml_tensor_overhead() * 2, nullptr, true };
    tr->ctx_static.reset(ggml_init(ip));
    tr->loss_grad = ggml_new_tensor_1d(tr->ctx_static.get(), GGML_TYPE_F32, 1);
    ggml_set_name(tr->loss_grad, "loss_grad");
    tr->buf_static.reset(ggml_backend_alloc_ctx_tensors_from_buft(tr->ctx_static.get(), buft));
    const float one = 1.0f;
    ggml_backend_tensor_set(tr->loss_grad, &one, 0, sizeof(one));
    return tr;
}

// The order of the sequences in epoch `epoch`: a Fisher-Yates permutation from (seed, RNG_SHUFFLE, epoch);
// with length_buckets = K > 0, each run of K*B consecutive sequences (aligned to the stream's batch
// grid) is then sorted by length and its K batches put in a random order from (seed, RNG_BUCKETS,
// epoch). A batch pads to its longest sequence, so batches of similar lengths waste less compute (the
// demo corpus mixes ~67-token scenario prompts with ~30-token drills: 0.68 of a random batch is real
// tokens); each batch still comes from a random draw of K*B sequences.
std::vector<int64_t> lm_trainer_epoch_order(const lm_trainer & tr, int64_t epoch) {
    const int64_t n = (int64_t) tr.seqs.size(), B = tr.batch_size();
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    train_rng rng(tr.params.seed, RNG_SHUFFLE, (uint64_t) epoch);
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[(int64_t) rng.below((uint64_t) i + 1)]);
    const int64_t K = tr.params.length_buckets;
    if (K <= 0) return order;

    // the first `off` sequences finish the previous epoch's last batch; chunks start on a batch boundary
    const int64_t off = (B - (epoch * n) % B) % B;
    train_rng brng(tr.params.seed, RNG_BUCKETS, (uint64_t) epoch);
    const auto len = [&](int64_t i) { return tr.seqs[i].tokens.size(); };
    for (int64_t start = off; start < n; start += K * B) {
        const int64_t end = std::min(n, start + K * B);
        std::stable_sort(order.begin() + start, order.begin() + end, [&](int64_t a, int64_t b) { return len(a) < len(b); });
        const int64_t nb = (end - start) / B; // whole batches; a short tail stays where it is
        for (int64_t i = nb - 1; i > 0; --i) {
            const int64_t j = (int64_t) brng.below((uint64_t) i + 1);
            if (j != i) std::swap_ranges(order.begin() + start + i * B, order.begin() + start + (i + 1) * B, order.begin() + start + j * B);
        }
    }
    return order;
}

std::vector<int64_t> lm_trainer_batch_indices(const lm_trainer & tr, int64_t s) {
    const int64_t n = (int64_t) tr.seqs.size(), B = tr.batch_size();
    std::vector<int64_t> out, order;
    int64_t epoch = -1;
    for (int64_t j = s * B; j < (s + 1) * B; ++j) {
        if (j / n != epoch) {
            epoch = j / n;
            order = lm_trainer_epoch_order(tr, epoch);
        }
        out.push_back(order[j % n]);
    }
    return out;
}

float lm_trainer_lr(const lm_train_params & p, int64_t s) {
    if (s < p.warmup) return p.lr * (float) (s + 1) / (float) p.warmup;
    // cosine from lr (first step after warmup) towards lr_min; t < 1, so lr stays > 0 even with lr_min = 0
    const double t = (double) (s - p.warmup) / (double) std::max<int64_t>(1, p.steps - p.warmup);
    return (float) (p.lr_min + 0.5 * (p.lr - p.lr_min) * (1.0 + std::cos(M_PI * t)));
}

float lm_trainer_batch_loss(lm_trainer & tr, const std::vector<int64_t> & idx, bool backward) {
    std::vector<const std::vector<int32_t> *> tk;
    std::vector<const std::vector<float> *>   w;
    for (int64_t i : idx) { tk.push_back(&tr.seqs[i].tokens); w.push_back(&tr.seqs[i].weights); }
    const lm_batch batch = lm_batch_make(tk, w, tr.model->hp.n_vocab, LM_PAD_MULTIPLE);

    lm_step_graph & sg = step_graph(tr, batch.T, batch.B, backward);
    lm_graph_set_inputs(sg.g.in, batch);
    if (backward) {
        if (tr.optim_decay) adamw_zero_grads(*tr.optim_decay);
        if (tr.optim_no_decay) adamw_zero_grads(*tr.optim_no_decay);
    }
    if (ggml_backend_graph_compute(tr.backend.get(), sg.gf) != GGML_STATUS_SUCCESS) {
        throw soo_error(SOO_ERROR_INTERNAL, "the training graph failed to compute");
    }
    float loss = 0;
    ggml_backend_tensor_get(sg.g.loss, &loss, 0, sizeof(loss));
    return loss;
}

lm_train_result lm_trainer_run(lm_trainer & tr, const std::function<void(const lm_train_progress &)> & on_progress,
                               const std::atomic<bool> * cancel) {
    lm_train_result res;
    const lm_train_params & p = tr.params;
    while (tr.step < p.steps) {
        const double t0 = now_ms();
        const std::vector<int64_t> idx = lm_trainer_batch_indices(tr, tr.step);
        const float loss = lm_trainer_batch_loss(tr, idx, /*backward*/ true);
        if (!std::isfinite(loss)) {
            throw soo_error(SOO_ERROR_INTERNAL, "trainLm: the loss became " + num(loss) + " at step " + std::to_string(tr.step + 1) +
                            " (hint: lower lr or set gradClip)");
        }
        if (p.grad_clip > 0.0f) clip_grads(tr, p.grad_clip);
        const float lr = lm_trainer_lr(p, tr.step);
        for (auto * st : { tr.optim_decay.get(), tr.optim_no_decay.get() }) {
            if (!st) continue;
            adamw_params ap;
            ap.lr = lr; ap.beta1 = p.beta1; ap.beta2 = p.beta2; ap.eps = p.eps;
            ap.weight_decay = st == tr.optim_decay.get() ? p.weight_decay : 0.0f;
            adamw_step(*st, ap, tr.backend.get());
        }
        tr.step += 1;
        const double dt = now_ms() - t0;

        int64_t n_tokens = 0;
        for (int64_t i : idx) n_tokens += (int64_t) tr.seqs[i].tokens.size();
        lm_train_progress pr;
        pr.step = tr.step;
        pr.n_steps = p.steps;
        pr.loss = loss;
        pr.lr = lr;
        pr.step_ms = dt;
        pr.tokens_per_s = dt > 0 ? (double) n_tokens / (dt / 1000.0) : 0.0;
        res.losses.push_back(loss);
        if (on_progress) on_progress(pr);
        if (cancel && cancel->load()) { res.cancelled = true; break; }
    }
    res.steps = tr.step;
    return res;
}

void lm_trainer_save(const lm_trainer & tr, const std::string & path) {
    const lm_train_params & p = tr.params;
    std::map<std::string, std::string> kv = p.metadata;
    std::string frozen;
    for (const std::string & f : p.frozen) frozen += (frozen.empty() ? "" : ",") + f;
    kv["soo_lab.lm.steps"]       = std::to_string(tr.step);
    kv["soo_lab.lm.batch"]       = std::to_string(p.batch);
    kv["soo_lab.lm.lr"]          = num(p.lr);
    kv["soo_lab.lm.lr_min"]      = num(p.lr_min);
    kv["soo_lab.lm.warmup"]      = std::to_string(p.warmup);
    kv["soo_lab.lm.weight_decay"] = num(p.weight_decay);
    kv["soo_lab.lm.grad_clip"]   = num(p.grad_clip);
    kv["soo_lab.lm.length_buckets"] = std::to_string(p.length_buckets);
    kv["soo_lab.lm.seed"]        = std::to_string(p.seed);
    kv["soo_lab.lm.frozen"]      = frozen;
    kv["soo_lab.lm.n_sequences"] = std::to_string(tr.seqs.size());
    lm_model_save(*tr.model, path, kv);
}
