// test-lm: the C++ suite of full-parameter LM training (src/lm) on tiny random F32 llama GGUFs (tiny-gguf.h,
// tied head: no output.weight).
//   gradcheck   autodiff vs central finite differences for every tensor kind (norms, q/k/v/o, gate/up/down,
//               output_norm, and token_embd with nothing frozen); batch of 2 sequences of different lengths
//               (padding) with uneven weights incl. 0
//   weights     the batch loss is exactly sum w CE / sum w: equals the weight-combined single-sequence losses;
//               scaling every weight leaves loss and gradients unchanged; a weight-0 last token can be
//               replaced without changing loss or any gradient (no training signal)
//   graphs      more shapes than the graph cache holds: the same losses and gradients on every visit
//   buckets     length buckets: permutations, fewer mixed-length batches and padded tokens, determinism
//   train       memorising a few sequences: loss falls by >= 95%; frozen tensors keep their bytes
//   determinism same seed -> byte-identical output file; another seed -> different bytes
//   errors      bad settings and inputs throw soo_error bad_input naming the field / file
//   bench       demo-size step time (4 layers, n_embd 128, n_ff 344, vocab 700, batch 64 x 64): --threads N,
//               --ff N, --vocab N, --no-fast-backward
//   profile     CPU time per node of one step graph, summed by op (same options)
// Usage: test-lm [section ...] [--threads N] [--tmp DIR]. Exit code 0 iff every run section passed.
#include "errors.h"
#include "lm/lm-trainer.h"
#include "tiny-gguf.h"
#include "train/rng.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <xmmintrin.h>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

std::string g_tmp = "/tmp";
int         g_failures = 0;
int         g_threads  = 2;
bool        g_fast_bw  = true;   // profile/bench: --no-fast-backward compares with ggml's OUT_PROD backward
int64_t     g_ff       = 344;    // bench/profile: --ff N (n_ff of the demo-shape model)
int64_t     g_vocab    = 700;    // bench/profile: --vocab N

// Tolerances, each with its reason.
const double GRAD_REL_TOL  = 1e-2;  // float32 forward: central differences with h = 1e-2 keep ~1e-3 of noise+curvature
const float  GRAD_FD_STEP  = 1e-2f;
const int    GRAD_N_COORDS = 6;     // per tensor: the coordinates with the largest analytic |grad|
const double SAME_REL_TOL  = 2e-6;  // one loss computed two ways in float32 (sum order differs)
const double TRAIN_DROP    = 0.95;  // memorising 4 short sequences

void check(bool ok, const std::string & what) {
    printf("  %-80s %s\n", what.c_str(), ok ? "OK" : "NOT OK");
    if (!ok) ++g_failures;
}

std::vector<float> read_f32(const ggml_tensor * t) {
    std::vector<float> v(ggml_nelements(t));
    ggml_backend_tensor_get(t, v.data(), 0, ggml_nbytes(t));
    return v;
}

void write_f32(ggml_tensor * t, const std::vector<float> & v) { ggml_backend_tensor_set(t, v.data(), 0, ggml_nbytes(t)); }

std::vector<uint8_t> file_bytes(const std::string & path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string tiny_model(const std::string & tag, int64_t n_vocab = 48, int64_t n_layer = 2, int64_t n_embd = 32, int64_t n_ff = 48) {
    tiny_gguf_params mp;
    mp.n_layer = n_layer; mp.n_embd = n_embd; mp.n_head = 4; mp.n_head_kv = 4; mp.n_ff = n_ff; mp.n_vocab = n_vocab;
    const std::string path = g_tmp + "/soo-test-lm-" + tag + ".gguf";
    tiny_gguf_write(path, mp);
    return path;
}

lm_sequence make_seq(int64_t n, int64_t n_vocab, uint64_t seed) {
    lm_sequence s;
    train_rng rng(seed, 1);
    for (int64_t i = 0; i < n; ++i) {
        s.tokens.push_back((int32_t) rng.below((uint64_t) n_vocab));
        s.weights.push_back(i % 3 == 0 ? 1.0f : 0.25f + 0.5f * rng.uniform());
    }
    return s;
}

lm_train_params base_params(const std::string & model) {
    lm_train_params p;
    p.model_path = model;
    p.steps = 10; p.batch = 2; p.lr = 1e-3f; p.n_threads = 1; p.seed = 1;
    return p;
}

std::vector<std::vector<float>> grads_of(lm_trainer & tr, const std::vector<int64_t> & idx, float * loss = nullptr) {
    const float l = lm_trainer_batch_loss(tr, idx, true);
    if (loss) *loss = l;
    std::vector<std::vector<float>> g;
    for (const auto & pg : lm_trainer_params_grads(tr)) g.push_back(read_f32(pg.second));
    return g;
}

// --- gradcheck ---------------------------------------------------------------------------------------------

void gradcheck_case(const std::vector<std::string> & frozen) {
    const std::string path = tiny_model("grad");
    lm_train_params p = base_params(path);
    p.frozen = frozen;
    std::vector<lm_sequence> seqs = { make_seq(9, 48, 1), make_seq(6, 48, 2) };
    seqs[0].weights[4] = 0.0f;
    auto tr = lm_trainer_init(p, seqs);
    const std::vector<int64_t> idx = { 0, 1 };
    const auto grads = grads_of(*tr, idx);
    const auto pg = lm_trainer_params_grads(*tr);
    printf("gradcheck (frozen: %s): %zu parameter tensors\n", frozen.empty() ? "none" : frozen[0].c_str(), pg.size());
    bool all_ok = true;
    for (size_t ip = 0; ip < pg.size(); ++ip) {
        ggml_tensor * param = pg[ip].first;
        std::vector<float> w = read_f32(param);
        const std::vector<float> & g = grads[ip];
        std::vector<size_t> order(g.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        const size_t n = std::min<size_t>(GRAD_N_COORDS, g.size());
        std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](size_t a, size_t b) { return std::fabs(g[a]) > std::fabs(g[b]); });
        double se = 0, sn = 0;
        for (size_t k = 0; k < n; ++k) {
            const size_t i = order[k];
            const float w0 = w[i];
            w[i] = w0 + GRAD_FD_STEP; write_f32(param, w); const double lp = lm_trainer_batch_loss(*tr, idx, false);
            w[i] = w0 - GRAD_FD_STEP; write_f32(param, w); const double lm = lm_trainer_batch_loss(*tr, idx, false);
            w[i] = w0;                write_f32(param, w);
            const double num = (lp - lm) / (2.0 * GRAD_FD_STEP);
            se += (num - g[i]) * (num - g[i]);
            sn += num * num;
        }
        const double err = std::sqrt(se / std::max(sn, 1e-300));
        const bool ok = err <= GRAD_REL_TOL && sn > 0;
        all_ok &= ok;
        printf("    %-28s |g|max %.3e  rel err %.2e  %s\n", param->name, std::fabs(g[order[0]]), err, ok ? "OK" : "NOT OK");
    }
    check(all_ok, "autodiff == central differences for every parameter tensor");
}

// The OUT_PROD -> MUL_MAT rewrite (lm-fast-backward.h) vs ggml's own backward: the same gradients up to
// float32 summation order.
void fast_backward_case() {
    const std::string path = tiny_model("grad");
    std::vector<lm_sequence> seqs = { make_seq(9, 48, 1), make_seq(6, 48, 2) };
    lm_train_params p = base_params(path);
    p.frozen.clear();
    auto fast = lm_trainer_init(p, seqs);
    p.fast_backward = false;
    auto ref = lm_trainer_init(p, seqs);
    float lf = 0, lr = 0;
    const auto gf = grads_of(*fast, { 0, 1 }, &lf);
    const auto gr = grads_of(*ref, { 0, 1 }, &lr);
    double worst = 0;
    for (size_t t = 0; t < gf.size(); ++t) {
        double se = 0, sn = 0;
        for (size_t i = 0; i < gf[t].size(); ++i) { se += (gf[t][i] - gr[t][i]) * (gf[t][i] - gr[t][i]); sn += (double) gr[t][i] * gr[t][i]; }
        worst = std::max(worst, std::sqrt(se / std::max(sn, 1e-300)));
    }
    printf("fast backward vs ggml OUT_PROD backward: loss %.8f / %.8f, worst tensor rel diff %.2e\n", lf, lr, worst);
    check(lf == lr && worst <= 1e-5, "MUL_MAT-rewritten backward == ggml's backward (float32 rounding)");
}

void test_gradcheck() {
    gradcheck_case({ "token_embd.weight" });
    gradcheck_case({});
    fast_backward_case();
}

// --- weights -----------------------------------------------------------------------------------------------

void test_weights() {
    printf("weights\n");
    const std::string path = tiny_model("grad");
    std::vector<lm_sequence> seqs = { make_seq(10, 48, 3), make_seq(7, 48, 4) };
    seqs[0].weights[9] = 0.0f; // the last token of sequence 0: replaced below
    auto tr = lm_trainer_init(base_params(path), seqs);
    float l01 = 0, l0 = 0, l1 = 0;
    const auto g01 = grads_of(*tr, { 0, 1 }, &l01);
    const auto g0 = grads_of(*tr, { 0 }, &l0);
    const auto g1 = grads_of(*tr, { 1 }, &l1);
    double w0 = 0, w1 = 0;
    for (size_t i = 1; i < seqs[0].weights.size(); ++i) w0 += seqs[0].weights[i];
    for (size_t i = 1; i < seqs[1].weights.size(); ++i) w1 += seqs[1].weights[i];
    const double combined = (w0 * l0 + w1 * l1) / (w0 + w1);
    printf("    batch loss %.8f, weight-combined single losses %.8f\n", l01, combined);
    check(std::fabs(l01 - combined) <= SAME_REL_TOL * std::fabs(combined), "padded batch loss == sum w CE / sum w of its sequences");
    double gmax = 0, gdiff = 0;
    for (size_t t = 0; t < g01.size(); ++t)
        for (size_t i = 0; i < g01[t].size(); ++i) {
            const double c = (w0 * g0[t][i] + w1 * g1[t][i]) / (w0 + w1);
            gmax = std::max(gmax, std::fabs(c));
            gdiff = std::max(gdiff, std::fabs(c - g01[t][i]));
        }
    check(gdiff <= 1e-5 * gmax, "batch gradients == weight-combined single-sequence gradients (max diff " + std::to_string(gdiff / gmax) + " of max)");

    // scaling every weight by 7 changes nothing (normalized by sum w)
    std::vector<lm_sequence> scaled = seqs;
    for (auto & s : scaled) for (float & w : s.weights) w *= 7.0f;
    scaled.push_back(scaled[0]);
    scaled.back().tokens[9] = (scaled.back().tokens[9] + 5) % 48; // weight 0: another token must not matter
    auto tr2 = lm_trainer_init(base_params(path), scaled);
    float ls = 0, lr = 0;
    const auto gs = grads_of(*tr2, { 0, 1 }, &ls);
    check(std::fabs(ls - l01) <= SAME_REL_TOL * std::fabs(l01), "weights x7: same loss");
    const auto ga = grads_of(*tr2, { 0 }, &l0);
    const auto gb = grads_of(*tr2, { 2 }, &lr);
    bool same = l0 == lr;
    for (size_t t = 0; t < ga.size(); ++t) same &= ga[t] == gb[t];
    check(same, "a weight-0 token replaced by another id: bit-identical loss and gradients (no training signal)");
}

// More distinct shapes than LM_MAX_GRAPHS, visited twice in another order (graphs evicted and rebuilt,
// forward and backward graphs interleaved): every loss and gradient comes back bit for bit.
void test_graph_cache() {
    printf("graphs\n");
    const std::string path = tiny_model("grad");
    std::vector<lm_sequence> seqs;
    const int n = LM_MAX_GRAPHS + 4; // more padded lengths than the cache holds (tiny models have n_ctx 128)
    for (int i = 0; i < n; ++i) seqs.push_back(make_seq(5 + LM_PAD_MULTIPLE * i, 48, 40 + i));
    auto tr = lm_trainer_init(base_params(path), seqs);
    std::vector<float> first(n), again(n);
    std::vector<std::vector<float>> g_first(n), g_again(n);
    for (int i = 0; i < n; ++i) { first[i] = lm_trainer_batch_loss(*tr, { i }, false); g_first[i] = grads_of(*tr, { i })[3]; }
    for (int i = n - 1; i >= 0; --i) { g_again[i] = grads_of(*tr, { i })[3]; again[i] = lm_trainer_batch_loss(*tr, { i }, false); }
    check(first == again && g_first == g_again, std::to_string(n) + " shapes through a cache of " + std::to_string(LM_MAX_GRAPHS) + " graphs: identical losses and gradients");
    check((int) tr->graphs.size() <= LM_MAX_GRAPHS, "the cache stays bounded");
}

// --- buckets -----------------------------------------------------------------------------------------------

// Length buckets (lm_trainer_epoch_order): sequences of two lengths, short (6) and long (30), mixed at random.
// Off: the plain permutation, most batches mix both lengths. On (K = 4): every epoch is still a permutation;
// a batch mixes lengths at most once per chunk of K batches (where the sorted chunk changes length) plus
// the batches that straddle an epoch boundary; padded tokens fall accordingly; deterministic per seed.
void test_buckets() {
    printf("buckets\n");
    const std::string path = tiny_model("grad");
    std::vector<lm_sequence> seqs;
    train_rng pick(7, 3);
    for (int i = 0; i < 203; ++i) seqs.push_back(make_seq(pick.below(2) ? 30 : 6, 48, 100 + i)); // 203: epochs do not end on a batch boundary
    const int64_t B = 8, K = 4, steps = 100;
    auto stats = [&](int64_t buckets, bool & perms) {
        lm_train_params p = base_params(path);
        p.batch = B; p.length_buckets = buckets;
        auto tr = lm_trainer_init(p, seqs);
        perms = true;
        for (int64_t e = 0; e < 3; ++e) {
            std::vector<int64_t> o = lm_trainer_epoch_order(*tr, e);
            std::sort(o.begin(), o.end());
            for (int64_t i = 0; i < (int64_t) o.size(); ++i) perms = perms && o[i] == i;
        }
        int64_t mixed = 0, padded = 0;
        for (int64_t s = 0; s < steps; ++s) {
            std::set<size_t> lens;
            size_t longest = 0, total = 0;
            for (int64_t i : lm_trainer_batch_indices(*tr, s)) { lens.insert(seqs[i].tokens.size()); longest = std::max(longest, seqs[i].tokens.size()); total += seqs[i].tokens.size(); }
            mixed += lens.size() > 1;
            padded += (int64_t) (longest * B - total);
        }
        return std::make_pair(mixed, padded);
    };
    bool perm_off = false, perm_on = false;
    const auto off = stats(0, perm_off), on = stats(K, perm_on);
    const int64_t epochs = steps * B / (int64_t) seqs.size() + 1, chunks = (int64_t) seqs.size() / (K * B) + 1;
    printf("    mixed batches of %lld: off %lld, on %lld; padded tokens off %lld, on %lld\n", (long long) steps, (long long) off.first,
           (long long) on.first, (long long) off.second, (long long) on.second);
    check(perm_off && perm_on, "every epoch is a permutation of the sequences, with and without buckets");
    check(off.first > steps * 3 / 4, "without buckets most batches mix lengths");
    check(on.first <= epochs * (chunks + 1), "with buckets at most one mixed batch per chunk (+ one per epoch boundary)");
    check(on.second * 4 < off.second, "with buckets padding falls by more than 4x");
    lm_train_params p = base_params(path);
    p.batch = B; p.length_buckets = K;
    auto a = lm_trainer_init(p, seqs), b = lm_trainer_init(p, seqs);
    p.seed = 2;
    auto c = lm_trainer_init(p, seqs);
    check(lm_trainer_epoch_order(*a, 1) == lm_trainer_epoch_order(*b, 1) && lm_trainer_epoch_order(*a, 1) != lm_trainer_epoch_order(*c, 1),
          "same seed -> same bucketed order; another seed -> another");
}

// --- train -------------------------------------------------------------------------------------------------

void test_train() {
    printf("train\n");
    const std::string path = tiny_model("train", 64, 2, 32, 64);
    std::vector<lm_sequence> seqs;
    for (int i = 0; i < 4; ++i) seqs.push_back(make_seq(12, 64, 10 + i));
    lm_train_params p = base_params(path);
    p.steps = 80; p.batch = 4; p.lr = 1e-2f; p.lr_min = 1e-3f; p.warmup = 5; p.weight_decay = 0.01f; p.grad_clip = 1.0f;
    p.frozen = { "token_embd.weight", "blk.1.ffn_up.weight" };
    auto tr = lm_trainer_init(p, seqs);
    const std::vector<float> embd0 = read_f32(tr->model->tok_embd);
    const std::vector<float> up0 = read_f32(tr->model->layers[1].ffn_up), gate0 = read_f32(tr->model->layers[1].ffn_gate);
    const lm_train_result r = lm_trainer_run(*tr, nullptr, nullptr);
    printf("    loss %.4f -> %.4f in %lld steps\n", r.losses.front(), r.losses.back(), (long long) r.steps);
    check(r.losses.back() <= (1.0 - TRAIN_DROP) * r.losses.front(), "loss falls by >= 95% memorising 4 sequences");
    check(read_f32(tr->model->tok_embd) == embd0 && read_f32(tr->model->layers[1].ffn_up) == up0, "frozen token_embd and blk.1.ffn_up keep their values");
    check(read_f32(tr->model->layers[1].ffn_gate) != gate0, "a trainable neighbour (blk.1.ffn_gate) changed");
    check(std::fabs(lm_trainer_lr(p, 0) - p.lr / 5) < 1e-9 && std::fabs(lm_trainer_lr(p, 5) - p.lr) < 1e-9 &&
          lm_trainer_lr(p, 79) > p.lr_min && lm_trainer_lr(p, 79) < p.lr_min * 1.01f, "schedule: warmup to lr, cosine towards lrMin");
}

// --- determinism -------------------------------------------------------------------------------------------

void test_determinism() {
    printf("determinism\n");
    const std::string path = tiny_model("train", 64, 2, 32, 64);
    std::vector<lm_sequence> seqs;
    for (int i = 0; i < 5; ++i) seqs.push_back(make_seq(8 + i, 64, 20 + i));
    auto run = [&](uint64_t seed, const std::string & out) {
        lm_train_params p = base_params(path);
        p.steps = 6; p.batch = 2; p.lr = 5e-3f; p.seed = seed; p.n_threads = 2; p.grad_clip = 0.5f;
        p.metadata["soo_lab.demo.test"] = "yes";
        auto tr = lm_trainer_init(p, seqs);
        lm_trainer_run(*tr, nullptr, nullptr);
        lm_trainer_save(*tr, out);
        return file_bytes(out);
    };
    const auto a = run(3, g_tmp + "/soo-test-lm-det-a.gguf");
    const auto b = run(3, g_tmp + "/soo-test-lm-det-b.gguf");
    const auto c = run(4, g_tmp + "/soo-test-lm-det-c.gguf");
    check(!a.empty() && a == b, "same seed -> byte-identical model file (" + std::to_string(a.size()) + " bytes)");
    check(a != c, "another seed -> different bytes");
    // the output loads again as a model
    auto tr = lm_trainer_init(base_params(g_tmp + "/soo-test-lm-det-a.gguf"), seqs);
    check(tr->model->tensors.size() == lm_trainer_init(base_params(path), seqs)->model->tensors.size(), "output reloads with every tensor");
}

// --- errors ------------------------------------------------------------------------------------------------

void expect_bad(const std::string & what, const std::string & needle, const std::function<void()> & fn) {
    try {
        fn();
        check(false, what + ": no error");
    } catch (const soo_error & e) {
        const bool ok = e.code == SOO_ERROR_BAD_INPUT && std::string(e.what()).find(needle) != std::string::npos;
        if (!ok) printf("    got: %s\n", e.what());
        check(ok, what + " -> bad_input naming '" + needle + "'");
    }
}

void test_errors() {
    printf("errors\n");
    const std::string path = tiny_model("grad");
    const std::vector<lm_sequence> ok = { make_seq(6, 48, 1) };
    auto with = [&](const std::function<void(lm_train_params &, std::vector<lm_sequence> &)> & edit) {
        return [=]() { lm_train_params p = base_params(path); std::vector<lm_sequence> s = ok; edit(p, s); lm_trainer_init(p, s); };
    };
    expect_bad("steps 0", "steps", with([](auto & p, auto &) { p.steps = 0; }));
    expect_bad("batch 0", "batch", with([](auto & p, auto &) { p.batch = 0; }));
    expect_bad("lr 0", "lr", with([](auto & p, auto &) { p.lr = 0; }));
    expect_bad("lrMin > lr", "lrMin", with([](auto & p, auto &) { p.lr_min = 1.0f; }));
    expect_bad("gradClip < 0", "gradClip", with([](auto & p, auto &) { p.grad_clip = -1; }));
    expect_bad("no sequences", "sequences", with([](auto &, auto & s) { s.clear(); }));
    expect_bad("1-token sequence", "sequences[0].tokens", with([](auto &, auto & s) { s[0].tokens.resize(1); s[0].weights.resize(1); }));
    expect_bad("weights length", "sequences[0].weights", with([](auto &, auto & s) { s[0].weights.pop_back(); }));
    expect_bad("negative lengthBuckets", "lengthBuckets", with([](auto & p, auto &) { p.length_buckets = -1; }));
    expect_bad("negative weight", "sequences[0].weights[2]", with([](auto &, auto & s) { s[0].weights[2] = -1; }));
    expect_bad("all weights 0", "weight", with([](auto &, auto & s) { std::fill(s[0].weights.begin(), s[0].weights.end(), 0.0f); }));
    expect_bad("token outside vocab", "sequences[0].tokens[3]", with([](auto &, auto & s) { s[0].tokens[3] = 48; }));
    expect_bad("too long", "context", with([](auto &, auto & s) { s[0].tokens.assign(513, 1); s[0].weights.assign(513, 1.0f); }));
    expect_bad("unknown frozen", "frozen[1]", with([](auto & p, auto &) { p.frozen = { "token_embd.weight", "blk.9.attn_q.weight" }; }));
    expect_bad("missing file", "nope.gguf", with([](auto & p, auto &) { p.model_path = g_tmp + "/nope.gguf"; }));
    tiny_gguf_params big; big.n_head_kv = 4; big.n_embd = 16; big.n_ff = 16; big.n_layer = 1; big.n_vocab = 65536;
    tiny_gguf_write(g_tmp + "/soo-test-lm-bigvocab.gguf", big);
    expect_bad("logits over 2^31 entries", "lower batch", with([](auto & p, auto & s) { // 64 x 512 x 65536 = 2^31
        p.model_path = g_tmp + "/soo-test-lm-bigvocab.gguf"; p.batch = 64; s.assign(64, make_seq(512, 48, 1));
    }));
    tiny_gguf_params q; q.n_head_kv = 4; q.type = GGML_TYPE_Q8_0; q.n_embd = 64; q.n_vocab = 48;
    tiny_gguf_write(g_tmp + "/soo-test-lm-q8.gguf", q);
    expect_bad("quantized model", "F32", with([](auto & p, auto &) { p.model_path = g_tmp + "/soo-test-lm-q8.gguf"; }));
    tiny_gguf_params gq; gq.n_head_kv = 2;
    tiny_gguf_write(g_tmp + "/soo-test-lm-gqa.gguf", gq);
    expect_bad("GQA model", "n_head_kv", with([](auto & p, auto &) { p.model_path = g_tmp + "/soo-test-lm-gqa.gguf"; }));
    tiny_gguf_params qw; qw.arch = "qwen2"; qw.n_head_kv = 4;
    tiny_gguf_write(g_tmp + "/soo-test-lm-qwen2.gguf", qw);
    expect_bad("qwen2 model", "llama", with([](auto & p, auto &) { p.model_path = g_tmp + "/soo-test-lm-qwen2.gguf"; }));
}

// CPU time of the process (all threads): robust to a crowded machine, unlike wall time.
double cpu_ms() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// --- bench -------------------------------------------------------------------------------------------------

void test_bench() {
    printf("bench: demo size (4 layers, n_embd 128, 4 heads, n_ff %lld, vocab %lld), batch 64 x 64 tokens, %d threads\n", (long long) g_ff, (long long) g_vocab, g_threads);
    const std::string path = tiny_model("bench-" + std::to_string(g_ff) + "-" + std::to_string(g_vocab), g_vocab, 4, 128, g_ff);
    std::vector<lm_sequence> seqs;
    for (int i = 0; i < 64; ++i) seqs.push_back(make_seq(64, g_vocab, 100 + i));
    lm_train_params p = base_params(path);
    p.steps = 6; p.batch = 64; p.lr = 2e-3f; p.n_threads = g_threads; p.fast_backward = g_fast_bw;
    auto tr = lm_trainer_init(p, seqs);
    std::vector<double> ms;
    lm_trainer_run(*tr, [&](const lm_train_progress & pr) { ms.push_back(pr.step_ms); printf("    step %lld: %.1f ms, loss %.4f\n", (long long) pr.step, pr.step_ms, pr.loss); }, nullptr);
    std::vector<int64_t> idx(64);
    for (int i = 0; i < 64; ++i) idx[i] = i;
    lm_trainer_batch_loss(*tr, idx, false);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) lm_trainer_batch_loss(*tr, idx, false);
    const double fwd = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 3;
    const double cpu0 = cpu_ms();
    lm_trainer_batch_loss(*tr, idx, true);
    const double cpu_step = cpu_ms() - cpu0; // forward + backward, no update: CPU time of all threads
    size_t buf = 0;
    for (const auto & kv : tr->graphs) buf = std::max(buf, ggml_gallocr_get_buffer_size(kv.second->galloc.get(), 0));
    printf("    forward+backward CPU time %.1f ms (all threads); largest compute buffer %.1f MiB\n", cpu_step, buf / 1048576.0);
    // a new shape (T = 63): graph build + backward expansion + rewrite + allocation, vs the cached shape
    std::vector<lm_sequence> short_seqs = seqs;
    for (auto & q : short_seqs) { q.tokens.pop_back(); q.weights.pop_back(); }
    auto tr2 = lm_trainer_init(p, short_seqs);
    double c0 = cpu_ms();
    lm_trainer_batch_loss(*tr2, idx, true);
    const double first = cpu_ms() - c0;
    c0 = cpu_ms();
    lm_trainer_batch_loss(*tr2, idx, true);
    const double cached = cpu_ms() - c0;
    printf("    new shape: first forward+backward %.1f ms CPU, cached %.1f ms: build + allocation ~%.1f ms\n", first, cached, first - cached);
    std::sort(ms.begin() + 1, ms.end());
    printf("    step (median of steps 2..) %.1f ms; our forward %.1f ms; step / forward %.2f\n", ms[ms.size() / 2], fwd, ms[ms.size() / 2] / fwd);
}


// Node-by-node CPU time of one step graph (forward + backward), summed by op: where the step goes.
void test_profile() {
    printf("profile: demo size, batch 64 x 64, %d threads, CPU ms per node computed alone (spinning threads count too)\n", g_threads);
    const std::string path = tiny_model("bench-" + std::to_string(g_ff) + "-" + std::to_string(g_vocab), g_vocab, 4, 128, g_ff);
    std::vector<lm_sequence> seqs;
    for (int i = 0; i < 64; ++i) seqs.push_back(make_seq(64, g_vocab, 100 + i));
    lm_train_params p = base_params(path);
    p.batch = 64; p.n_threads = g_threads; p.fast_backward = g_fast_bw;
    auto tr = lm_trainer_init(p, seqs);
    std::vector<int64_t> idx(64);
    for (int i = 0; i < 64; ++i) idx[i] = i;
    lm_trainer_batch_loss(*tr, idx, true); // builds and allocates the graph, fills every tensor
    lm_step_graph & sg = *tr->graphs.begin()->second;
    std::map<std::string, double> by_op;
    std::vector<std::pair<double, std::string>> nodes;
    double total = 0;
    std::vector<const std::vector<int32_t> *> tk;
    std::vector<const std::vector<float> *> wt;
    for (const auto & s : seqs) { tk.push_back(&s.tokens); wt.push_back(&s.weights); }
    const lm_batch batch = lm_batch_make(tk, wt, g_vocab, LM_PAD_MULTIPLE);
    for (int rep = 0; rep < 2; ++rep) {
        lm_graph_set_inputs(sg.g.in, batch); // the allocator recycles input memory: upload before each pass
        for (int i = 0; i < ggml_graph_n_nodes(sg.gf); ++i) {
            ggml_init_params ip = { ggml_graph_overhead_custom(1, false) + 1024, nullptr, true };
            ggml_context_ptr ctx(ggml_init(ip));
            ggml_cgraph * one = ggml_new_graph_custom(ctx.get(), 1, false);
            ggml_graph_add_node(one, ggml_graph_node(sg.gf, i));
            const double t0 = cpu_ms();
            ggml_backend_graph_compute(tr->backend.get(), one);
            const double ms = cpu_ms() - t0;
            if (rep == 0) continue; // warm-up pass
            ggml_tensor * t = ggml_graph_node(sg.gf, i);
            by_op[ggml_op_desc(t)] += ms;
            total += ms;
            char buf[256];
            snprintf(buf, sizeof(buf), "%-14s %-40s [%lld,%lld,%lld,%lld] src0 %s", ggml_op_desc(t), t->name, (long long) t->ne[0],
                     (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3], t->src[0] ? (ggml_is_contiguous(t->src[0]) ? "cont" : "strided") : "-");
            nodes.emplace_back(ms, buf);
        }
    }
    std::vector<std::pair<double, std::string>> ops;
    for (const auto & [k, v] : by_op) ops.emplace_back(v, k);
    std::sort(ops.rbegin(), ops.rend());
    printf("  total %.1f ms\n", total);
    for (const auto & [ms, op] : ops) printf("  %-16s %8.1f ms  %5.1f%%\n", op.c_str(), ms, 100 * ms / total);
    std::sort(nodes.rbegin(), nodes.rend());
    for (size_t i = 0; i < std::min<size_t>(getenv("LM_TOP") ? atoi(getenv("LM_TOP")) : 25, nodes.size()); ++i) printf("  %8.2f ms  %s\n", nodes[i].first, nodes[i].second.c_str());
}

} // namespace

int main(int argc, char ** argv) {
    ggml_log_set([](ggml_log_level level, const char * text, void *) { if (level >= GGML_LOG_LEVEL_WARN) fputs(text, stderr); }, nullptr);
    std::set<std::string> sections;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--tmp" && i + 1 < argc) g_tmp = argv[++i];
        else if (arg == "--threads" && i + 1 < argc) g_threads = atoi(argv[++i]);
        else if (arg == "--no-fast-backward") g_fast_bw = false;
        else if (arg == "--ff" && i + 1 < argc) g_ff = atoll(argv[++i]);
        else if (arg == "--vocab" && i + 1 < argc) g_vocab = atoll(argv[++i]);
        else sections.insert(arg);
    }
    if (getenv("LM_FTZ")) _mm_setcsr(_mm_getcsr() | 0x8040);
    auto want = [&](const char * s) { return sections.empty() || sections.count(s); };
    try {
        if (want("gradcheck"))   test_gradcheck();
        if (want("weights"))     test_weights();
        if (want("graphs"))      test_graph_cache();
        if (want("buckets"))     test_buckets();
        if (want("train"))       test_train();
        if (want("determinism")) test_determinism();
        if (want("errors"))      test_errors();
        if (sections.count("bench")) test_bench(); // only when named
        if (sections.count("profile")) test_profile(); // only when named
    } catch (const std::exception & e) {
        printf("UNEXPECTED EXCEPTION: %s\n", e.what());
        ++g_failures;
    }
    printf("%s (%d failure%s)\n", g_failures ? "FAILED" : "ALL OK", g_failures, g_failures == 1 ? "" : "s");
    return g_failures ? 1 : 0;
}
