// lm-trainer: full-parameter next-token (cross-entropy) training of a small F32 llama model (lm-model.h).
//
// lm_trainer_init validates everything the caller controls (model file, frozen names, sequences, weights,
// hyper-parameters) before building anything, loads the model, marks every non-frozen tensor as a
// parameter and creates two AdamW states: matrices with weight decay, 1-D tensors (norm weights) without
// (llm.c / nanoGPT's split). lm_trainer_run then does, per step s (0-based):
//   1. take the next B = min(batch, n_sequences) sequences of an endless stream made of per-epoch
//      Fisher-Yates permutations drawn from (seed, RNG_SHUFFLE, epoch) (rng.h), optionally grouped into
//      batches of similar lengths (length_buckets, lm_trainer_epoch_order): the step is the whole state;
//   2. pad them to the batch's longest rounded up to LM_PAD_MULTIPLE (T), fetch the graph built for this T (built and planned once per T),
//      run forward + backward into the optimizer's gradient accumulators;
//   3. optional global-norm clipping (host loop in double over the accumulators, fixed order);
//   4. lr(s) = linear warmup over `warmup` steps to lr, then cosine decay to lr_min at the last step;
//      one AdamW update of both states.
// Progress once per step; the cancel flag is read after each update.
// Determinism: same inputs, seed and thread count -> the same float operations in the same order -> the
// same bytes (ggml-cpu splits work by thread count, never by timing).
// Does not: tokenize, evaluate generations, checkpoint/resume, GPU backends.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"
#include "lm/lm-graph.h"
#include "lm/lm-model.h"
#include "optim/adamw.h"
#include "train/soo-trainer.h" // soo_threadpool_ptr

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

// Step graphs kept (each with its compute buffer, ~100 MB at the demo size); the least recently used goes.
const int LM_MAX_GRAPHS = 8; // length buckets use up to ~7 shapes at the demo size (T 24..80)
// Batches are padded to a multiple of this many tokens: lengths spread over 50..80 then need <= 4 shapes
// (a new shape costs a graph build and a first touch of its ~200 MB buffer, ~100 ms at the demo size).
const int64_t LM_PAD_MULTIPLE = 8;

struct lm_sequence {
    std::vector<int32_t> tokens;
    std::vector<float>   weights; // weights[i] weights the prediction of tokens[i]; weights[0] is unused
};

struct lm_train_params {
    std::string              model_path;
    std::string              out_path;                       // only for validation messages; lm_trainer_save takes the path
    std::vector<std::string> frozen = { "token_embd.weight" };
    int64_t                  steps  = 0;
    int64_t                  batch  = 0;
    float                    lr     = 0.0f;
    float                    lr_min = 0.0f;
    int64_t                  warmup = 0;
    float                    weight_decay = 0.0f;            // matrices only; 1-D tensors get none
    float                    beta1  = 0.9f;
    float                    beta2  = 0.999f;
    float                    eps    = 1e-8f;
    float                    grad_clip = 0.0f;               // global L2 norm; 0 = off
    uint64_t                 seed   = 0;
    int                      n_threads = 2;
    std::map<std::string, std::string> metadata;             // extra string KVs for the output file
    bool                     fast_backward = true;           // OUT_PROD -> MUL_MAT rewrite (lm-fast-backward.h); off = ggml's own backward
    int64_t                  length_buckets = 0;             // K > 0: batches of similar lengths, from chunks of K*batch sequences (lm_trainer_epoch_order); 0 = off
};

struct lm_train_progress {
    int64_t step = 0, n_steps = 0; // steps done (1-based after the first), total
    float   loss = 0;              // weighted mean CE of this step's batch, before the update
    float   lr   = 0;              // learning rate used by this step's update
    double  step_ms = 0, tokens_per_s = 0;
};

struct lm_train_result {
    int64_t            steps = 0;
    bool               cancelled = false;
    std::vector<float> losses;
};

// One step graph per (T, B, backward), with its OWN allocator: a gallocr shared by several graphs whose
// tensors persist leaves the idle graphs pointing into a freed buffer once another graph grows it.
struct lm_step_graph {
    std::vector<uint8_t> mem;   // metadata arena
    ggml_context_ptr     ctx;
    ggml_cgraph *        gf = nullptr;
    lm_graph             g;
    ggml_gallocr_ptr     galloc;
    int64_t              last_used = 0; // for the LRU bound (LM_MAX_GRAPHS)
};

struct lm_trainer {
    lm_train_params                      params;
    std::vector<lm_sequence>             seqs;
    soo_threadpool_ptr                   threadpool;
    ggml_backend_ptr                     backend;
    std::unique_ptr<lm_model>            model;
    std::unique_ptr<adamw_state>         optim_decay;    // 2-D parameters
    std::unique_ptr<adamw_state>         optim_no_decay; // 1-D parameters (norm weights)
    ggml_context_ptr                     ctx_static;
    ggml_backend_buffer_ptr              buf_static;
    ggml_tensor *                        loss_grad = nullptr; // [1] = 1: the backward seed
    std::map<int64_t, std::unique_ptr<lm_step_graph>> graphs; // by (T, B, backward); at most LM_MAX_GRAPHS
    int64_t                              n_graph_uses = 0;
    int64_t                              step = 0;

    int64_t batch_size() const { return std::min<int64_t>(params.batch, (int64_t) seqs.size()); }
};

// The checks that need no model file (steps, batch, lr..., sequence lengths and weights): soo_error bad_input
// naming the field. lm_trainer_init runs them too.
void lm_trainer_validate(const lm_train_params & params, const std::vector<lm_sequence> & seqs);

// Validates (soo_error bad_input naming the field), loads, initialises. Sequences are copied.
std::unique_ptr<lm_trainer> lm_trainer_init(const lm_train_params & params, std::vector<lm_sequence> seqs);

// The indices of the sequences of step s (see 1. above).
std::vector<int64_t> lm_trainer_epoch_order(const lm_trainer & tr, int64_t epoch);
std::vector<int64_t> lm_trainer_batch_indices(const lm_trainer & tr, int64_t s);

// Learning rate of step s (0-based).
float lm_trainer_lr(const lm_train_params & p, int64_t s);

// Forward (+ backward into the accumulators, which it zeroes first) of the given sequences as one batch.
// Returns the weighted mean CE. Exposed for tests (gradient check, weight-0 checks).
float lm_trainer_batch_loss(lm_trainer & tr, const std::vector<int64_t> & idx, bool backward);

// The parameters (model tensors being trained) and their gradient accumulators, in a fixed order.
std::vector<std::pair<ggml_tensor *, ggml_tensor *>> lm_trainer_params_grads(const lm_trainer & tr);

// Runs the remaining steps; `on_progress` on the calling thread once per step; `cancel` read after each update.
lm_train_result lm_trainer_run(lm_trainer & tr, const std::function<void(const lm_train_progress &)> & on_progress,
                               const std::atomic<bool> * cancel);

// The trained model (input metadata + params.metadata + soo_lab.lm.* training KVs), atomically.
void lm_trainer_save(const lm_trainer & tr, const std::string & path);
