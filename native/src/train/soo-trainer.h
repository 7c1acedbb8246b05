// soo-trainer: SOO LoRA training on a GGUF base: the loop over self/other token pairs.
//
// soo_trainer_init validates everything the caller controls (model file, architecture, layer, targets,
// rank, pairs under the chosen positions, hyper-parameters) BEFORE loading weights, then loads layers 0..L,
// creates or resumes the adapter and the AdamW state. soo_trainer_run then does, per step: take `batch`
// pairs of this epoch's shuffled order, for each pair build graph-llama + soo-loss (+ self-anchor), run forward + backward
// (gradients accumulate over the pairs, each scaled 1/batch so the step sees the batch mean), one AdamW
// update; report progress; read the cancel flag once; write a checkpoint every `checkpoint_every` steps.
//
// Determinism: every random draw is derived from (seed, purpose, epoch/step, pair) (see rng.h), so the same
// seed, pairs and thread count give a byte-identical adapter, and a resumed run continues the same curve.
// Backend: CPU (ggml-cpu) with an explicit thread count. Does not: tokenize (pairs are token ids), evaluate
// generations, or support flash attention / KV cache in training (no backward pass in ggml).
#pragma once

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "lora/lora-io.h"
#include "optim/adamw.h"
#include "train/base-weights.h"
#include "train/fast-backward.h"
#include "train/soo-loss.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct soo_pair {
    std::vector<int32_t> self;  // token ids of the self prompt
    std::vector<int32_t> other; // token ids of the other prompt
};

struct soo_train_params {
    std::string              model_path;                      // base GGUF
    int                      layer      = 0;                  // SOO layer L (0-based)
    std::vector<std::string> targets    = { "attn_q", "attn_v" };
    int64_t                  rank       = 8;
    float                    alpha      = 32.0f;
    float                    dropout    = 0.0f;               // on the LoRA input, training only; [0, 1)
    soo_positions            positions  = SOO_POSITIONS_FULL;
    soo_point                point      = SOO_POINT_ATTN_OUT; // the node of layer L the loss compares (soo-loss.h)
    float                    self_anchor = 0.0f;              // lambda of the self anchor (self-anchor.h); 0 = off, the published objective
    adamw_params             optimizer;                       // lr 1e-4, betas 0.9/0.999, eps 1e-8, wd 0
    int                      epochs     = 1;
    int                      batch      = 4;                  // pairs per optimizer step
    uint64_t                 seed       = 0;
    int                      n_threads  = 2;                  // CPU threads; pass the core count explicitly
    std::string              checkpoint_path;                 // where checkpoints go; empty = none
    int                      checkpoint_every = 0;            // steps; 0 = never
    std::string              resume_from;                     // a checkpoint to continue from; empty = fresh
    bool                     fast_backward = true;            // dL/dx without ggml's per-token OUT_PROD (see fast-backward.h)
    bool                     repacked_weights = false;        // with fast_backward: ggml-cpu's extra (AMX / repacked) weight buffers; those W need W^T copies (+memory)
    bool                     transposed_copies = false;       // with fast_backward: W^T copies for every W (more memory) instead of input-grad-op
    std::function<void(const std::string &)> log;             // one-line messages; may be empty
};

struct soo_train_progress {
    int64_t step         = 0;   // optimizer steps done (1-based after the first)
    int64_t n_steps      = 0;   // total steps of the run
    int     epoch        = 0;   // 0-based
    float   loss         = 0;   // mean SOO loss of this step's pairs, before the update
    float   anchor       = 0;   // mean self anchor of this step's pairs (before lambda), before the update; 0 when off
    double  step_ms      = 0;   // wall time of this step
    double  tokens_per_s = 0;   // tokens (self + other) processed per second in this step
};

struct soo_train_result {
    int64_t            steps     = 0;     // optimizer steps done in total (also before a resume)
    bool               cancelled = false;
    std::vector<float> losses;            // per step of this run
};

struct soo_threadpool_deleter { void operator()(ggml_threadpool_t tp) { ggml_threadpool_free(tp); } };
typedef std::unique_ptr<ggml_threadpool, soo_threadpool_deleter> soo_threadpool_ptr;

struct soo_trainer {
    soo_train_params              params;
    std::vector<soo_pair>         pairs;
    uint64_t                      pairs_hash = 0; // FNV-1a 64 of all token ids
    soo_threadpool_ptr            threadpool; // persistent CPU threads (else every graph compute spawns threads)
    ggml_backend_ptr              backend;
    std::unique_ptr<base_weights> base;
    std::unique_ptr<fast_backward> fast_bw;            // nullptr when params.fast_backward is off
    std::unique_ptr<lora_weights> lora;
    std::unique_ptr<adamw_state>  optim;
    std::vector<float>            losses;              // loss of every optimizer step so far: step i at [i-1]; checkpointed,
                                                       // so a resumed run still has the whole curve when its caller lost the tail
    ggml_tensor *                 loss_grad = nullptr; // [1]: d(step loss)/d(pair loss) = 1/batch
    ggml_context_ptr              ctx_static;
    ggml_backend_buffer_ptr       buf_static;
    ggml_gallocr_ptr              galloc;              // compute buffer, reused across pair graphs
    std::vector<uint8_t>          graph_mem;           // metadata arena of the current pair graph

    int64_t steps_per_epoch() const { return ((int64_t) pairs.size() + params.batch - 1) / params.batch; }
    int64_t n_steps() const { return steps_per_epoch() * params.epochs; }
};

// Validates, loads, initialises (or resumes). Throws soo_error: bad_input for the caller's mistakes.
std::unique_ptr<soo_trainer> soo_trainer_init(const soo_train_params & params, const std::vector<soo_pair> & pairs);

// Forward (and, with `backward`, backward into the optimizer's gradient accumulators, scaled by `grad_scale`)
// for one pair. `dropout_stream` selects the dropout masks (ignored when params.dropout == 0 or !train).
// Returns the pair's SOO loss; with params.self_anchor > 0 the gradient is that of SOO + lambda * anchor.
// `anchor_out`, if given, receives the anchor (computed for it even when self_anchor is 0, then outside the
// objective: a way to measure how far the adapter moved the self prompts).
float soo_trainer_pair_loss(soo_trainer & tr, const soo_pair & pair, bool backward, bool train,
                            float grad_scale = 1.0f, uint64_t dropout_stream = 0, float * anchor_out = nullptr);

// Runs the remaining steps. `on_progress` is called once per step on the calling thread; `cancel` is read once
// per step (after the update): when set, the run stops and returns cancelled = true.
soo_train_result soo_trainer_run(soo_trainer & tr, const std::function<void(const soo_train_progress &)> & on_progress,
                                 const std::atomic<bool> * cancel);

// The adapter as a llama.cpp LoRA GGUF with soo_lab.train.* metadata (atomic write).
void soo_trainer_save_adapter(const soo_trainer & tr, const std::string & path);

// Adapter + AdamW moments + step (atomic write): what soo_train_params::resume_from reads.
void soo_trainer_save_checkpoint(const soo_trainer & tr, const std::string & path);
