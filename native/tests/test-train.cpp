// test-train: standalone tests of SOO LoRA training (native/src/{train,lora,optim}) on tiny random GGUFs.
//
// Sections (each prints per-tensor lines like llm.c's test_gpt2.c, then OK / NOT OK):
//   gradcheck   autodiff vs central finite differences on F32 bases, every LoRA tensor (llama + qwen2,
//               positions full / last / mean, tap points attn_out / mlp_out / resid, with and without the self
//               anchor); error = |analytic - numeric| / max(|numeric|, floor)
//   inputgrad   input-grad-op (dx = W^T dy from W's own bytes) vs ggml's OUT_PROD and a float64 reference,
//               F32 / F16 / Q8_0 / Q4_0 / Q4_K weights, odd shapes, 1-3 threads
//   quantized   Q8_0, Q4_K, F16 (and F32) bases: LoRA gradients of each backward path (input-grad-op,
//               W^T copies) vs ggml's OUT_PROD backward on the same base, and vs the F32 twin
//   train       the SOO loss falls by >= 90% in a fixed number of steps
//   anchor      the self anchor (self-anchor.h): 0 at init (B = 0), and after the same training it is far
//               smaller with lambda > 0 than without; the gradcheck covers its gradient (positions mean)
//   determinism same seed -> byte-identical adapter; another seed -> different bytes
//   errors      misaligned pair under full, layer out of range, token outside the vocabulary, a token in
//               none of the init pairs (only their embedding rows are loaded): soo_error
//   resume      cancel stops within one step; resume from the checkpoint continues the same loss curve
//   adapter     the written adapter reads back with llama.cpp's keys and shapes
//   timing      SOO step time / forward time of layers 0..L for the three backwards, reps interleaved
//               (printed, not asserted; --bench for the 0.5B shape, --type q8_0|q4_0|q4_k|f16)
//   kernels     only when named: input-grad-op vs the forward mul_mat per weight shape (printed)
// Usage: test-train [section ...] [--bench] [--threads N] [--type T] [--tmp DIR]. Exit code 0 iff every run
// section passed.
#include "errors.h"
#include "gguf.h"
#include "tiny-gguf.h"
#include "ggml-cpu.h"
#include "train/input-grad-op.h"
#include "train/rng.h"
#include "train/soo-trainer.h"

#include <algorithm>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

std::string g_tmp = "/tmp";
int         g_failures = 0;
int         g_threads  = 2;      // timing only: --threads N
ggml_type   g_bench_type = GGML_TYPE_Q8_0; // timing only: --type q8_0|q4_k|q4_0|f16

// Tolerances, each with its reason.
const double GRAD_REL_TOL     = 1e-2;  // brief: autodiff vs central differences, normalized over the sampled coordinates
const float  GRAD_FD_STEP     = 1e-2f; // float32 forward: h = 1e-3 leaves ~1e-4 of rounding noise in (L+ - L-)/2h
const int    GRAD_N_COORDS    = 6;     // per tensor: the coordinates with the largest analytic |grad|
const double QUANT_COS_TOL    = 0.99;  // brief: quantized base vs F32 twin; ggml quantizes activations to Q8 for dot products
const double INPUT_GRAD_TOL   = 1e-5;  // input-grad-op (F32) vs float64 / OUT_PROD: both F32 sums of the same dequantized W
const double INPUT_GRAD_BF16  = 1e-2;  // input-grad-op (BF16) vs float64: W and dy rounded to 8-bit mantissas (~2^-9 each)
const double SAME_BASE_REL    = 1e-4;  // LoRA grads, input-grad-op (F32) vs OUT_PROD on the same base: only summation order differs
const double SAME_BASE_COS_B  = 0.9999; // LoRA grads, input-grad-op (BF16) vs OUT_PROD
const double SAME_BASE_COS_T  = 0.999; // LoRA grads, W^T copies vs OUT_PROD: W^T is re-rounded to Q8_0 (measured >= 0.9997)
const double TRAIN_DROP       = 0.90;  // brief: SOO loss falls by >= 90%
const double RESUME_REL_TOL   = 1e-6;  // same graphs, same threads: the resumed curve should match to float rounding

void check(bool ok, const std::string & what) {
    printf("  %-72s %s\n", what.c_str(), ok ? "OK" : "NOT OK");
    if (!ok) ++g_failures;
}

std::string model_path(const std::string & tag) { return g_tmp + "/soo-test-" + tag + ".gguf"; }

std::vector<float> read_f32(const ggml_tensor * t) {
    std::vector<float> v(ggml_nelements(t));
    ggml_backend_tensor_get(t, v.data(), 0, ggml_nbytes(t));
    return v;
}

void write_f32(ggml_tensor * t, const std::vector<float> & v) {
    ggml_backend_tensor_set(t, v.data(), 0, ggml_nbytes(t));
}

std::vector<uint8_t> file_bytes(const std::string & path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Pairs whose self and other prompts differ in a few tokens (like "I" / "Bob" swaps).
std::vector<soo_pair> make_pairs(int n_pairs, int n_tokens, int64_t n_vocab, bool misalign_last = false) {
    std::vector<soo_pair> pairs;
    for (int p = 0; p < n_pairs; ++p) {
        soo_pair pair;
        for (int t = 0; t < n_tokens; ++t) {
            const int32_t tok = (int32_t) ((7 * t + 13 * p + 3) % n_vocab);
            pair.self.push_back(tok);
            pair.other.push_back(t % 4 == 1 ? (int32_t) ((tok + 11) % n_vocab) : tok);
        }
        pairs.push_back(pair);
    }
    if (misalign_last) pairs.back().other.push_back(1);
    return pairs;
}

soo_train_params base_params(const std::string & model, int layer) {
    soo_train_params p;
    p.model_path = model;
    p.layer      = layer;
    p.rank       = 4;
    p.alpha      = 8.0f;
    p.n_threads  = 1;          // tiny models gain nothing from threads; timing sets its own
    return p;
}

// Small random B so that dL/dA != 0 (with B = 0, the gradient of A is exactly zero).
void randomize_b(soo_trainer & tr, uint64_t seed) {
    train_rng rng(seed);
    for (const lora_tensor & t : tr.lora->tensors) {
        std::vector<float> v(ggml_nelements(t.b));
        for (float & x : v) x = (2.0f * rng.uniform() - 1.0f) * 0.05f;
        write_f32(t.b, v);
    }
}

// Analytic gradients of one pair's loss, one vector per optimizer parameter.
std::vector<std::vector<float>> analytic_grads(soo_trainer & tr, const soo_pair & pair) {
    adamw_zero_grads(*tr.optim);
    soo_trainer_pair_loss(tr, pair, true, false);
    std::vector<std::vector<float>> g;
    for (ggml_tensor * acc : tr.optim->grads) g.push_back(read_f32(acc));
    adamw_zero_grads(*tr.optim);
    return g;
}

// --- gradcheck -----------------------------------------------------------------------------------------------

// The objective the backward pass differentiates: SOO + lambda * anchor (just SOO when the anchor is off).
double pair_objective(soo_trainer & tr, const soo_pair & pair) {
    float anchor = 0.0f;
    const double soo = soo_trainer_pair_loss(tr, pair, false, false, 1.0f, 0, &anchor);
    return soo + (double) tr.params.self_anchor * anchor;
}

bool gradcheck_case(const std::string & arch, soo_positions positions, float self_anchor = 0.0f, soo_point point = SOO_POINT_ATTN_OUT) {
    tiny_gguf_params mp;
    mp.arch = arch; mp.n_layer = 3; mp.n_embd = 32; mp.n_head = 4; mp.n_head_kv = 2; mp.n_ff = 64; mp.n_vocab = 48;
    const std::string path = model_path("grad-" + arch);
    tiny_gguf_write(path, mp);
    soo_train_params p = base_params(path, 2);
    p.targets   = { "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down" };
    p.positions   = positions;
    p.self_anchor = self_anchor;
    p.point       = point;
    const auto pairs = make_pairs(1, 6, mp.n_vocab);
    auto tr = soo_trainer_init(p, pairs);
    randomize_b(*tr, 7);

    printf("gradcheck %s positions=%s point=%s self_anchor=%g: %zu LoRA tensors\n", arch.c_str(), soo_positions_name(positions),
           soo_point_name(point), self_anchor, tr->optim->params.size());
    const auto grads = analytic_grads(*tr, pairs[0]);
    const float h = GRAD_FD_STEP;
    bool all_ok = true;
    for (size_t ip = 0; ip < tr->optim->params.size(); ++ip) {
        ggml_tensor * param = tr->optim->params[ip];
        std::vector<float> w = read_f32(param);
        const std::vector<float> & g = grads[ip];
        // the coordinates with the largest |grad|: the ones that carry the tensor's gradient
        std::vector<size_t> idx(g.size());
        for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
        std::partial_sort(idx.begin(), idx.begin() + GRAD_N_COORDS, idx.end(), [&](size_t x, size_t y) { return std::fabs(g[x]) > std::fabs(g[y]); });
        idx.resize(GRAD_N_COORDS);
        double se = 0, sn = 0, max_diff = 0, num0 = 0;
        for (size_t k = 0; k < idx.size(); ++k) {
            const size_t i = idx[k];
            const float w0 = w[i];
            w[i] = w0 + h; write_f32(param, w); const double lp = pair_objective(*tr, pairs[0]);
            w[i] = w0 - h; write_f32(param, w); const double lm = pair_objective(*tr, pairs[0]);
            w[i] = w0;     write_f32(param, w);
            const double num = (lp - lm) / (2.0 * h);
            if (k == 0) num0 = num;
            se += (num - g[i]) * (num - g[i]);
            sn += num * num;
            max_diff = std::max(max_diff, std::fabs(num - g[i]));
        }
        const double err = std::sqrt(se / std::max(sn, 1e-300)); // normalized: ||analytic - numeric|| / ||numeric||
        const bool ok = err <= GRAD_REL_TOL && sn > 0;
        all_ok &= ok;
        printf("  %-34s analytic %+.6e numeric %+.6e  max diff %.2e  rel err %.2e  %s\n",
               param->name, g[idx[0]], num0, max_diff, err, ok ? "OK" : "NOT OK");
    }
    if (!all_ok) ++g_failures;
    return all_ok;
}

void test_gradcheck() {
    gradcheck_case("llama", SOO_POSITIONS_FULL);
    gradcheck_case("qwen2", SOO_POSITIONS_FULL);
    gradcheck_case("llama", SOO_POSITIONS_LAST);
    gradcheck_case("llama", SOO_POSITIONS_MEAN);
    gradcheck_case("llama", SOO_POSITIONS_MEAN, 0.7f);                      // SOO + 0.7 * self anchor
    gradcheck_case("llama", SOO_POSITIONS_FULL, 0.0f, SOO_POINT_MLP_OUT);   // ffn_out-2: layer 2's FFN adapters too
    gradcheck_case("llama", SOO_POSITIONS_LAST, 0.7f, SOO_POINT_RESID);     // l_out-2, with the anchor
}

// --- input-grad-op ------------------------------------------------------------------------------------------

// ||x - y|| / ||y||
double rel_l2(const float * x, const double * y, size_t n) {
    double se = 0, sn = 0;
    for (size_t i = 0; i < n; ++i) { se += (x[i] - y[i]) * (x[i] - y[i]); sn += y[i] * y[i]; }
    return std::sqrt(se / std::max(sn, 1e-300));
}

void input_grad_case(ggml_type type, int64_t n_in, int64_t n_out, int64_t n_tok, int n_threads) {
    const size_t mem = ggml_row_size(type, n_in) * n_out + sizeof(float) * (size_t) (n_out * n_tok + 4 * n_in * n_tok) + 16 * ggml_tensor_overhead() + ggml_graph_overhead() + (1 << 20);
    ggml_init_params ip = { mem, nullptr, false };
    ggml_context_ptr ctx(ggml_init(ip));
    ggml_tensor * w  = ggml_new_tensor_2d(ctx.get(), type, n_in, n_out);
    ggml_tensor * dy = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, n_out, n_tok);
    train_rng rng(1234 + (uint64_t) type);
    std::vector<float> wf((size_t) (n_in * n_out)), g((size_t) (n_out * n_tok));
    for (float & x : wf) x = 2.0f * rng.uniform() - 1.0f;
    for (float & x : g) x = 2.0f * rng.uniform() - 1.0f;
    ggml_quantize_chunk(type, wf.data(), w->data, 0, n_out, n_in, nullptr); // also F32 / F16
    memcpy(dy->data, g.data(), ggml_nbytes(dy));

    // independent reference: dequantize W once with ggml's to_float, sum in float64
    std::vector<float> wd(wf.size());
    if (type == GGML_TYPE_F32) memcpy(wd.data(), w->data, ggml_nbytes(w));
    else ggml_get_type_traits(type)->to_float(w->data, wd.data(), (int64_t) wd.size());
    std::vector<double> ref((size_t) (n_in * n_tok), 0.0);
    for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t o = 0; o < n_out; ++o)
            for (int64_t i = 0; i < n_in; ++i) ref[t * n_in + i] += (double) wd[o * n_in + i] * g[t * n_out + o];

    ggml_tensor * args[2] = { w, dy };
    ggml_tensor * f32  = ggml_custom_4d(ctx.get(), GGML_TYPE_F32, n_in, n_tok, 1, 1, args, 2, input_grad_op_compute, GGML_N_TASKS_MAX, (void *) (intptr_t) INPUT_GRAD_F32);
    ggml_tensor * outp = ggml_out_prod(ctx.get(), w, ggml_transpose(ctx.get(), dy)); // what ggml's autodiff writes
    // the in-place rewrite the trainer uses (default precision), on a second OUT_PROD node
    ggml_tensor * rewr = ggml_out_prod(ctx.get(), w, ggml_transpose(ctx.get(), dy));
    input_grad_op_make(rewr, w, dy);
    ggml_cgraph * gf = ggml_new_graph(ctx.get());
    ggml_build_forward_expand(gf, f32);
    ggml_build_forward_expand(gf, outp);
    ggml_build_forward_expand(gf, rewr);
    check(ggml_graph_compute_with_ctx(ctx.get(), gf, n_threads) == GGML_STATUS_SUCCESS, "graph computes");

    std::vector<double> outp_d(ref.size());
    for (size_t i = 0; i < ref.size(); ++i) outp_d[i] = ((const float *) outp->data)[i];
    const double e_ref = rel_l2((const float *) f32->data, ref.data(), ref.size());
    const double e_out = rel_l2((const float *) f32->data, outp_d.data(), ref.size());
    char what[200];
    snprintf(what, sizeof(what), "%-5s W [%lld, %lld], %lld tok, %d thr, F32:  vs f64 %.1e, vs OUT_PROD %.1e",
             ggml_type_name(type), (long long) n_in, (long long) n_out, (long long) n_tok, n_threads, e_ref, e_out);
    check(e_ref <= INPUT_GRAD_TOL && e_out <= INPUT_GRAD_TOL, what);
    const bool bf16 = input_grad_op_uses_bf16(w, INPUT_GRAD_AUTO);
    const double e_def = rel_l2((const float *) rewr->data, ref.data(), ref.size());
    snprintf(what, sizeof(what), "%-5s W [%lld, %lld], %lld tok, %d thr, default (%s): vs f64 %.1e",
             ggml_type_name(type), (long long) n_in, (long long) n_out, (long long) n_tok, n_threads, bf16 ? "BF16" : "F32", e_def);
    check(bf16 ? e_def <= INPUT_GRAD_BF16 : memcmp(rewr->data, f32->data, ggml_nbytes(f32)) == 0, what);
}

void test_input_grad() {
    printf("input-grad-op: dx = W^T dy from W's bytes vs ggml OUT_PROD(W, dy^T) and a float64 sum\n");
    // n_in: whole blocks, not a multiple of the 256-column panel; n_out: not a multiple of 16 rows;
    // tokens: not a multiple of 4
    input_grad_case(GGML_TYPE_F32,  352, 50, 9, 1);
    input_grad_case(GGML_TYPE_F16,  352, 50, 9, 2);
    input_grad_case(GGML_TYPE_Q8_0, 352, 50, 9, 3);
    input_grad_case(GGML_TYPE_Q8_0, 896, 128, 64, 2);
    input_grad_case(GGML_TYPE_Q4_0, 96, 17, 3, 2);
    input_grad_case(GGML_TYPE_Q4_K, 768, 37, 7, 2);
    input_grad_case(GGML_TYPE_Q4_K, 256, 16, 4, 3); // one block, three threads: two get no columns
}

// --- quantized bases ----------------------------------------------------------------------------------------

void quantized_case(ggml_type type) {
    tiny_gguf_params mp;
    mp.arch = "qwen2"; mp.n_layer = 2; mp.n_embd = 256; mp.n_head = 4; mp.n_head_kv = 2; mp.n_ff = 512; mp.n_vocab = 64;
    mp.type = type;
    const std::string qpath = model_path(std::string("q-") + ggml_type_name(type));
    tiny_gguf_write(qpath, mp);
    mp.type = GGML_TYPE_F32; mp.twin_of = type;
    const std::string fpath = model_path(std::string("q-") + ggml_type_name(type) + "-twin");
    tiny_gguf_write(fpath, mp);

    soo_train_params p = base_params(qpath, 1);
    p.targets = { "attn_q", "attn_v", "attn_output", "ffn_down" };
    p.repacked_weights = false; // plain buffers everywhere: the forward is the same in all three trainers
    const auto pairs = make_pairs(1, 8, mp.n_vocab);
    auto tq = soo_trainer_init(p, pairs); // default: input-grad-op
    soo_train_params p_t = p;
    p_t.transposed_copies = true;
    auto tt = soo_trainer_init(p_t, pairs); // W^T copies
    soo_train_params p_ref = p;
    p_ref.fast_backward = false;
    auto tr = soo_trainer_init(p_ref, pairs); // ggml's own OUT_PROD backward: the reference
    p.model_path = fpath;
    auto tf = soo_trainer_init(p, pairs);
    for (soo_trainer * t : { tq.get(), tt.get(), tr.get(), tf.get() }) randomize_b(*t, 7);
    check(tq->base->layers[0].attn_q->type == type, std::string("weights stay ") + ggml_type_name(type) + " in memory (no dequantized copy)");
    {
        std::set<int32_t> ids;
        for (const soo_pair & q : pairs) { ids.insert(q.self.begin(), q.self.end()); ids.insert(q.other.begin(), q.other.end()); }
        check(tq->base->tok_embd->ne[1] == (int64_t) ids.size() && ids.size() < (size_t) mp.n_vocab,
              "token_embd holds only the pairs' rows (" + std::to_string(ids.size()) + " of " + std::to_string(mp.n_vocab) + ")");
    }
    check(tq->fast_bw->transposed.empty() && tq->fast_bw->n_bytes == 0 && tq->fast_bw->dequant.size() == 2 * 4 + 3,
          "default backward: every frozen W read in place (no W^T copies)");
    check(tt->fast_bw->dequant.empty() && tt->fast_bw->transposed.size() == 2 * 4 + 3, "transposed_copies: a W^T copy for every frozen W");
    const auto gq = analytic_grads(*tq, pairs[0]);
    const auto gt = analytic_grads(*tt, pairs[0]);
    const auto gf = analytic_grads(*tf, pairs[0]);
    const auto gr = analytic_grads(*tr, pairs[0]);
    auto cosine = [](const std::vector<float> & x, const std::vector<float> & y) {
        double dot = 0, nx = 0, ny = 0;
        for (size_t j = 0; j < x.size(); ++j) { dot += (double) x[j] * y[j]; nx += (double) x[j] * x[j]; ny += (double) y[j] * y[j]; }
        return dot / std::sqrt(nx * ny + 1e-300);
    };
    auto rel = [](const std::vector<float> & x, const std::vector<float> & y) {
        std::vector<double> yd(y.begin(), y.end());
        return rel_l2(x.data(), yd.data(), x.size());
    };
    printf("%s base: LoRA gradients of input-grad-op and of W^T copies vs ggml's OUT_PROD backward on the same base, and vs the F32 twin\n", ggml_type_name(type));
    bool all_ok = true;
    const bool bf16 = input_grad_op_uses_bf16(tq->base->layers[0].attn_q, INPUT_GRAD_AUTO);
    printf("  (input-grad-op multiplies in %s for this base)\n", bf16 ? "BF16" : "F32");
    for (size_t i = 0; i < gq.size(); ++i) {
        const double rel_ref = rel(gq[i], gr[i]), cos_ref = cosine(gq[i], gr[i]), cos_t = cosine(gt[i], gr[i]), cos_twin = cosine(gq[i], gf[i]);
        const bool ok = (bf16 ? cos_ref >= SAME_BASE_COS_B : rel_ref <= SAME_BASE_REL) && cos_t >= SAME_BASE_COS_T && cos_twin >= QUANT_COS_TOL;
        all_ok &= ok;
        printf("  %-34s input-grad-op rel err %.1e cos %.6f  W^T cos %.6f  cos(f32 twin) %.6f  %s\n", tq->optim->params[i]->name,
               rel_ref, cos_ref, cos_t, cos_twin, ok ? "OK" : "NOT OK");
    }
    if (!all_ok) ++g_failures;
}

void test_quantized() {
    quantized_case(GGML_TYPE_Q8_0);
    quantized_case(GGML_TYPE_Q4_K);
    quantized_case(GGML_TYPE_F16);
    quantized_case(GGML_TYPE_F32);
}

// --- training -----------------------------------------------------------------------------------------------

std::string small_model() {
    tiny_gguf_params mp;
    mp.n_layer = 3; mp.n_embd = 64; mp.n_head = 4; mp.n_head_kv = 2; mp.n_ff = 128; mp.n_vocab = 64;
    const std::string path = model_path("small");
    tiny_gguf_write(path, mp);
    return path;
}

double mean_eval_loss(soo_trainer & tr) {
    double s = 0;
    for (const soo_pair & p : tr.pairs) s += soo_trainer_pair_loss(tr, p, false, false);
    return s / (double) tr.pairs.size();
}

soo_train_params train_params(const std::string & model) {
    soo_train_params p = base_params(model, 1);
    p.optimizer.lr = 1e-2f;
    p.epochs       = 20;
    p.batch        = 2;
    p.dropout      = 0.0f;
    return p;
}

void test_train() {
    printf("train: SOO loss before/after\n");
    soo_train_params p = train_params(small_model());
    p.batch  = 4;  // one step = all pairs, so step 1's loss is the base model's mean loss
    p.epochs = 40;
    auto tr = soo_trainer_init(p, make_pairs(4, 8, 64));
    const double before = mean_eval_loss(*tr);
    const auto res = soo_trainer_run(*tr, [](const soo_train_progress & pr) {
        if (pr.step == 1 || pr.step % 10 == 0) printf("    step %3lld/%lld  loss %.6f  %.1f ms  %.0f tok/s\n", (long long) pr.step, (long long) pr.n_steps, pr.loss, pr.step_ms, pr.tokens_per_s);
    }, nullptr);
    const double after = mean_eval_loss(*tr);
    printf("  loss %.6f -> %.6f in %lld steps (%.1f%% lower)\n", before, after, (long long) res.steps, 100.0 * (1.0 - after / before));
    check(before > 0 && after <= (1.0 - TRAIN_DROP) * before, "SOO loss falls by >= 90%");
    check(std::fabs(res.losses.front() - before) <= 1e-5 * before, "step 1 loss equals the base model's loss (B = 0 at init)");
}

// --- anchor -------------------------------------------------------------------------------------------------

// Mean self anchor over the trainer's pairs (no dropout, no backward).
double mean_anchor(soo_trainer & tr) {
    double s = 0;
    for (const soo_pair & p : tr.pairs) {
        float a = 0.0f;
        soo_trainer_pair_loss(tr, p, false, false, 1.0f, 0, &a);
        s += a;
    }
    return s / (double) tr.pairs.size();
}

void test_anchor() {
    printf("anchor: self anchor with and without lambda\n");
    const std::string model = small_model();
    const auto pairs = make_pairs(4, 8, 64);
    auto train = [&](float lambda, double & anchor_at_init, double & soo_after) {
        soo_train_params p = train_params(model);
        p.positions   = SOO_POSITIONS_MEAN;
        p.self_anchor = lambda;
        auto tr = soo_trainer_init(p, pairs);
        anchor_at_init = mean_anchor(*tr); // measured also when lambda = 0 (outside the objective)
        soo_trainer_run(*tr, nullptr, nullptr);
        const double anchor_after = mean_anchor(*tr);
        soo_after = mean_eval_loss(*tr);
        return anchor_after;
    };
    double init0 = 0, init1 = 0, soo0 = 0, soo1 = 0;
    const double free_anchor = train(0.0f, init0, soo0);
    const double held_anchor = train(10.0f, init1, soo1);
    printf("  anchor at init %.3e / %.3e; after training: lambda 0 -> %.3e (SOO %.3e), lambda 10 -> %.3e (SOO %.3e)\n",
           init0, init1, free_anchor, soo0, held_anchor, soo1);
    // not bit-exact: the reference forward packs the self tokens alone, so the CPU kernels block them differently
    check(init0 < 1e-9 && init1 < 1e-9, "anchor ~ 0 at init (B = 0: the adapted self residual is the base one, to round-off)");
    check(free_anchor > 0.0 && held_anchor < 0.25 * free_anchor, "lambda 10 keeps the self residual >= 4x closer to the base than lambda 0");
}

// --- determinism --------------------------------------------------------------------------------------------

std::vector<uint8_t> train_adapter_bytes(const std::string & model, uint64_t seed, const std::string & tag) {
    soo_train_params p = train_params(model);
    p.epochs  = 3;
    p.dropout = 0.1f;
    p.seed    = seed;
    auto tr = soo_trainer_init(p, make_pairs(4, 8, 64));
    soo_trainer_run(*tr, nullptr, nullptr);
    const std::string out = g_tmp + "/soo-test-adapter-" + tag + ".gguf";
    soo_trainer_save_adapter(*tr, out);
    return file_bytes(out);
}

void test_determinism() {
    printf("determinism\n");
    const std::string model = small_model();
    const auto a = train_adapter_bytes(model, 1234, "a");
    const auto b = train_adapter_bytes(model, 1234, "b");
    const auto c = train_adapter_bytes(model, 99, "c");
    check(!a.empty() && a == b, "same seed -> byte-identical adapter (" + std::to_string(a.size()) + " bytes)");
    check(a != c, "another seed -> different adapter");
    // a quantized base takes the extra-buffer (AMX / repacked) kernels where the CPU has them
    tiny_gguf_params mp;
    mp.n_layer = 3; mp.n_embd = 64; mp.n_head = 4; mp.n_head_kv = 2; mp.n_ff = 128; mp.n_vocab = 64; mp.type = GGML_TYPE_Q8_0;
    const std::string q8 = model_path("small-q8_0");
    tiny_gguf_write(q8, mp);
    const auto qa = train_adapter_bytes(q8, 1234, "qa");
    const auto qb = train_adapter_bytes(q8, 1234, "qb");
    check(!qa.empty() && qa == qb, "same seed on a Q8_0 base -> byte-identical adapter");
}

// --- errors -------------------------------------------------------------------------------------------------

void expect_bad_input(const std::string & what, const std::function<void()> & fn, const std::string & needle) {
    try {
        fn();
        check(false, what + ": no error thrown");
    } catch (const soo_error & e) {
        printf("    message: %s\n", e.what());
        check(e.code == SOO_ERROR_BAD_INPUT && std::string(e.what()).find(needle) != std::string::npos, what);
    }
}

void test_errors() {
    printf("errors\n");
    const std::string model = small_model();
    expect_bad_input("misaligned pair under full -> bad_input", [&] {
        soo_trainer_init(train_params(model), make_pairs(3, 8, 64, /*misalign_last*/ true));
    }, "pair 2");
    expect_bad_input("layer out of range -> bad_input", [&] {
        soo_train_params p = train_params(model);
        p.layer = 3;
        soo_trainer_init(p, make_pairs(2, 8, 64));
    }, "out of range");
    expect_bad_input("token outside the vocabulary -> bad_input", [&] {
        auto pairs = make_pairs(2, 8, 64);
        pairs[1].other[3] = 64;
        soo_trainer_init(train_params(model), pairs);
    }, "vocabulary");
    expect_bad_input("unknown target -> bad_input", [&] {
        soo_train_params p = train_params(model);
        p.targets = { "attn_qq" };
        soo_trainer_init(p, make_pairs(2, 8, 64));
    }, "attn_qq");
    expect_bad_input("only FFN targets at layer 0 -> bad_input", [&] {
        soo_train_params p = train_params(model);
        p.layer   = 0;
        p.targets = { "ffn_up" };
        soo_trainer_init(p, make_pairs(2, 8, 64));
    }, "no LoRA weights");
    expect_bad_input("not a GGUF -> bad_input", [&] {
        soo_train_params p = train_params(g_tmp + "/does-not-exist.gguf");
        soo_trainer_init(p, make_pairs(2, 8, 64));
    }, "does-not-exist");
    // misaligned counts are fine under last / mean
    soo_train_params p = train_params(model);
    p.positions = SOO_POSITIONS_MEAN;
    auto tr = soo_trainer_init(p, make_pairs(2, 8, 64, true));
    check(std::isfinite(mean_eval_loss(*tr)), "misaligned pair is accepted under positions mean");
    // the trainer loads only its pairs' embedding rows: a token outside them is refused, not read as garbage
    soo_pair unseen = tr->pairs[0];
    unseen.self[0] = 63; // make_pairs(2, 8, 64) uses (7t + 13p + 3) % 64 and +11: 63 is not among them
    bool present = false;
    for (const soo_pair & q : tr->pairs) for (const auto * seq : { &q.self, &q.other }) for (int32_t t : *seq) present |= t == 63;
    check(!present, "test setup: token 63 is in no pair");
    expect_bad_input("token in none of the init pairs -> bad_input", [&] { soo_trainer_pair_loss(*tr, unseen, false, false); }, "none of the pairs");
}

// --- cancel and resume --------------------------------------------------------------------------------------

void test_resume() {
    printf("cancel + resume\n");
    const std::string model = small_model();
    const auto pairs = make_pairs(4, 8, 64);
    soo_train_params p = train_params(model);
    p.epochs  = 4; // 8 steps
    p.dropout = 0.1f;

    auto full = soo_trainer_init(p, pairs);
    const auto res_full = soo_trainer_run(*full, nullptr, nullptr);
    const std::string out_full = g_tmp + "/soo-test-resume-full.gguf";
    soo_trainer_save_adapter(*full, out_full);

    const std::string ckpt = g_tmp + "/soo-test-ckpt.gguf";
    std::remove(ckpt.c_str());
    soo_train_params p1 = p;
    p1.checkpoint_path  = ckpt;
    p1.checkpoint_every = 2;
    std::atomic<bool> cancel { false };
    auto first = soo_trainer_init(p1, pairs);
    const auto res1 = soo_trainer_run(*first, [&](const soo_train_progress & pr) { if (pr.step == 4) cancel = true; }, &cancel);
    check(res1.cancelled && res1.steps == 4, "cancel set during step 4 stops after step 4 (steps=" + std::to_string(res1.steps) + ")");

    soo_train_params p2 = p;
    p2.resume_from = ckpt;
    auto second = soo_trainer_init(p2, pairs);
    const auto res2 = soo_trainer_run(*second, nullptr, nullptr);
    const std::string out_resumed = g_tmp + "/soo-test-resume-resumed.gguf";
    soo_trainer_save_adapter(*second, out_resumed);

    std::vector<float> curve = res1.losses;
    curve.insert(curve.end(), res2.losses.begin(), res2.losses.end());
    bool same = curve.size() == res_full.losses.size();
    for (size_t i = 0; same && i < curve.size(); ++i) {
        printf("    step %zu  uninterrupted %.8f  cancel+resume %.8f\n", i + 1, res_full.losses[i], curve[i]);
        same &= std::fabs(curve[i] - res_full.losses[i]) <= RESUME_REL_TOL * std::fabs(res_full.losses[i]);
    }
    check(same, "resumed loss curve equals the uninterrupted one");
    check(file_bytes(out_full) == file_bytes(out_resumed), "resumed final adapter is byte-identical to the uninterrupted one");

    expect_bad_input("resume with other settings -> bad_input", [&] {
        soo_train_params p3 = p2;
        p3.rank = 8;
        soo_trainer_init(p3, pairs);
    }, "soo_lab.train.rank");
}

// --- adapter file -------------------------------------------------------------------------------------------

void test_adapter() {
    printf("adapter file\n");
    soo_train_params p = train_params(small_model());
    p.epochs = 1;
    auto tr = soo_trainer_init(p, make_pairs(2, 8, 64));
    soo_trainer_run(*tr, nullptr, nullptr);
    const std::string out = g_tmp + "/soo-test-adapter.gguf";
    soo_trainer_save_adapter(*tr, out);

    ggml_context * data = nullptr;
    gguf_init_params ip = { false, &data };
    gguf_context_ptr g(gguf_init_from_file(out.c_str(), ip));
    ggml_context_ptr ctx(data);
    auto str = [&](const char * k) { const int64_t id = gguf_find_key(g.get(), k); return id < 0 ? std::string("<missing>") : std::string(gguf_get_val_str(g.get(), id)); };
    check(str("general.type") == "adapter" && str("adapter.type") == "lora" && str("general.architecture") == "llama", "llama.cpp adapter keys");
    const int64_t id_alpha = gguf_find_key(g.get(), "adapter.lora.alpha");
    check(id_alpha >= 0 && gguf_get_val_f32(g.get(), id_alpha) == p.alpha, "adapter.lora.alpha = alpha");
    const ggml_tensor * a = ggml_get_tensor(ctx.get(), "blk.1.attn_q.weight.lora_a");
    const ggml_tensor * b = ggml_get_tensor(ctx.get(), "blk.1.attn_v.weight.lora_b");
    check(a && a->ne[0] == 64 && a->ne[1] == p.rank && a->type == GGML_TYPE_F32, "lora_a ne = [n_in, r], F32");
    check(b && b->ne[0] == p.rank && b->ne[1] == 32 && b->type == GGML_TYPE_F32, "lora_b ne = [r, n_out] (n_embd_kv = 32 for attn_v)");
    check(!ggml_get_tensor(ctx.get(), "blk.2.attn_q.weight.lora_a"), "no tensors above layer L");
    check(str("soo_lab.train.positions") == "full" && str("soo_lab.train.layer") == "1", "training config recorded (soo_lab.train.*)");
}

// --- timing -------------------------------------------------------------------------------------------------

void test_timing(bool bench) {
    tiny_gguf_params mp;
    mp.arch = "qwen2"; mp.type = g_bench_type; mp.n_vocab = 512;
    mp.n_layer = bench ? 24 : 4; mp.n_embd = bench ? 896 : 256; mp.n_head = bench ? 14 : 4; mp.n_head_kv = 2; mp.n_ff = bench ? 4864 : 768;
    const int layer = bench ? 12 : 3, n_tokens = 64;
    const std::string path = model_path(std::string(bench ? "bench-" : "timing-") + ggml_type_name(mp.type));
    tiny_gguf_write(path, mp);
    soo_train_params p = base_params(path, layer);
    p.rank = 8; p.alpha = 32; p.n_threads = g_threads;
    p.log = [](const std::string & line) { printf("  %s\n", line.c_str()); };
    const auto pairs = make_pairs(1, n_tokens, mp.n_vocab);
    const int reps = bench ? 3 : 5;
    struct variant { const char * name; bool fast, transposed, repacked; };
    const variant variants[] = {
        { "reference: ggml OUT_PROD backward", false, false, false },
        { "W^T copies: mul_mat with transposed Q8_0 copies, W repacked where ggml-cpu can", true, true, true },
        { "default: input-grad-op, no copies, W plain", true, false, false },
    };
    const int n_var = (int) (sizeof(variants) / sizeof(variants[0]));
    // all trainers first, then reps interleaved across them (min per variant): a load change on the shared
    // machine then hits every variant alike. The OUT_PROD reference takes one rep with --bench (~10 s a step).
    std::vector<std::unique_ptr<soo_trainer>> trs;
    for (const variant & v : variants) {
        p.fast_backward = v.fast;
        p.transposed_copies = v.transposed;
        p.repacked_weights = v.repacked;
        trs.push_back(soo_trainer_init(p, pairs));
    }
    auto once = [](const std::function<void()> & fn) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<double> fwd(n_var, 1e300), step(n_var, 1e300);
    for (int rep = -1; rep < reps; ++rep) { // rep -1: burn-in
        for (int k = 0; k < n_var; ++k) {
            if (bench && !variants[k].fast && rep > 0) continue;
            soo_trainer & tr = *trs[k];
            const double f = once([&] { soo_trainer_pair_loss(tr, pairs[0], false, false); });
            const double st = once([&] { soo_trainer_pair_loss(tr, pairs[0], true, true); adamw_step(*tr.optim, p.optimizer, tr.backend.get()); });
            if (rep >= 0) { fwd[k] = std::min(fwd[k], f); step[k] = std::min(step[k], st); }
        }
    }
    for (int k = 0; k < n_var; ++k) {
        printf("timing (%s): qwen2 %s n_embd=%lld n_ff=%lld layers 0..%d, 2 x %d tokens, %d threads: forward %.1f ms, SOO step %.1f ms, ratio %.2f (target <= 2.5)\n",
               variants[k].name, ggml_type_name(mp.type), (long long) mp.n_embd, (long long) mp.n_ff, layer, n_tokens, p.n_threads, fwd[k], step[k], step[k] / fwd[k]);
    }
}

// input-grad-op vs the matmuls around it, per weight shape of the 0.5B bench model, interleaved reps, min:
// forward mul_mat(W, x), the W^T copy's mul_mat(Wt, dy), input-grad-op(W, dy) in F32 and in its default
// precision. Printed, not asserted.
void test_kernel_bench() {
    const int64_t n_tok = 128;
    const int64_t shapes[][2] = { { 896, 4864 }, { 4864, 896 }, { 896, 896 } }; // [n_in, n_out]: ffn_up/gate, ffn_down, attn_q/o
    for (const auto & sh : shapes) {
        const int64_t n_in = sh[0], n_out = sh[1];
        const size_t mem = 3 * ggml_row_size(GGML_TYPE_Q8_0, n_in) * n_out + sizeof(float) * (size_t) (4 * (n_in + n_out) * n_tok) + 32 * ggml_tensor_overhead() + 4 * ggml_graph_overhead() + (8 << 20);
        ggml_init_params ip = { mem, nullptr, false };
        ggml_context_ptr ctx(ggml_init(ip));
        ggml_tensor * w  = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_Q8_0, n_in, n_out);
        ggml_tensor * wt = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_Q8_0, n_out, n_in);
        ggml_tensor * x  = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, n_in, n_tok);
        ggml_tensor * dy = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, n_out, n_tok);
        train_rng rng(5);
        std::vector<float> f((size_t) (n_in * n_out));
        for (float & v : f) v = 2.0f * rng.uniform() - 1.0f;
        ggml_quantize_chunk(GGML_TYPE_Q8_0, f.data(), w->data, 0, n_out, n_in, nullptr);
        ggml_quantize_chunk(GGML_TYPE_Q8_0, f.data(), wt->data, 0, n_in, n_out, nullptr); // values do not matter
        for (ggml_tensor * t : { x, dy }) for (int64_t i = 0; i < ggml_nelements(t); ++i) ((float *) t->data)[i] = 2.0f * rng.uniform() - 1.0f;
        ggml_tensor * args[2] = { w, dy };
        ggml_tensor * outs[4] = {
            ggml_mul_mat(ctx.get(), w, x),
            ggml_mul_mat(ctx.get(), wt, dy),
            ggml_custom_4d(ctx.get(), GGML_TYPE_F32, n_in, n_tok, 1, 1, args, 2, input_grad_op_compute, GGML_N_TASKS_MAX, (void *) (intptr_t) INPUT_GRAD_F32),
            ggml_custom_4d(ctx.get(), GGML_TYPE_F32, n_in, n_tok, 1, 1, args, 2, input_grad_op_compute, GGML_N_TASKS_MAX, (void *) (intptr_t) INPUT_GRAD_AUTO),
        };
        ggml_cgraph * gfs[4];
        for (int k = 0; k < 4; ++k) { gfs[k] = ggml_new_graph(ctx.get()); ggml_build_forward_expand(gfs[k], outs[k]); }
        double best[4] = { 1e300, 1e300, 1e300, 1e300 };
        for (int rep = 0; rep < 6; ++rep) {
            for (int k = 0; k < 4; ++k) {
                const auto t0 = std::chrono::steady_clock::now();
                ggml_graph_compute_with_ctx(ctx.get(), gfs[k], g_threads);
                best[k] = std::min(best[k], std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            }
        }
        printf("kernel bench Q8_0 W [%lld, %lld], %lld tokens, %d threads: forward mul_mat(W, x) %.2f ms, mul_mat(W^T copy, dy) %.2f ms, input-grad-op F32 %.2f ms (%.2fx forward), default (%s) %.2f ms (%.2fx)\n",
               (long long) n_in, (long long) n_out, (long long) n_tok, g_threads, best[0], best[1], best[2], best[2] / best[0],
               input_grad_op_uses_bf16(w, INPUT_GRAD_AUTO) ? "BF16" : "F32", best[3], best[3] / best[0]);
    }
}

} // namespace

int main(int argc, char ** argv) {
    // ggml's debug lines (e.g. one per AMX-repacked tensor) are noise here; warnings and errors stay
    ggml_log_set([](ggml_log_level level, const char * text, void *) { if (level >= GGML_LOG_LEVEL_WARN) fputs(text, stderr); }, nullptr);
    std::set<std::string> sections;
    bool bench = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--bench") bench = true;
        else if (arg == "--tmp" && i + 1 < argc) g_tmp = argv[++i];
        else if (arg == "--threads" && i + 1 < argc) g_threads = atoi(argv[++i]);
        else if (arg == "--type" && i + 1 < argc) {
            const std::string t = argv[++i];
            g_bench_type = t == "q4_k" ? GGML_TYPE_Q4_K : t == "q4_0" ? GGML_TYPE_Q4_0 : t == "f16" ? GGML_TYPE_F16 : GGML_TYPE_Q8_0;
        }
        else sections.insert(arg);
    }
    auto want = [&](const char * s) { return sections.empty() || sections.count(s); };
    try {
        if (want("gradcheck"))   test_gradcheck();
        if (want("inputgrad"))   test_input_grad();
        if (want("quantized"))   test_quantized();
        if (want("train"))       test_train();
        if (want("anchor"))      test_anchor();
        if (want("determinism")) test_determinism();
        if (want("errors"))      test_errors();
        if (want("resume"))      test_resume();
        if (want("adapter"))     test_adapter();
        if (want("timing") || bench) test_timing(bench);
        if (sections.count("kernels")) test_kernel_bench(); // only when named
    } catch (const std::exception & e) {
        printf("UNEXPECTED EXCEPTION: %s\n", e.what());
        ++g_failures;
    }
    printf("%s (%d failure%s)\n", g_failures ? "FAILED" : "ALL OK", g_failures, g_failures == 1 ? "" : "s");
    return g_failures ? 1 : 0;
}
