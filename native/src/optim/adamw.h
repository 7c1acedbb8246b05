// adamw: AdamW over a list of F32 parameter tensors, with gradient accumulation and checkpoint state.
//
// For each parameter p it owns three tensors of p's shape: `grad` (the accumulator the backward graphs add
// into: pass adamw_state::grads as ggml_build_backward_expand's grad_accs for the param nodes), `m` and `v`
// (the moments). adamw_step applies ggml_opt_step_adamw with the bias corrections of step t, then zeroes
// the accumulators. The update, per element (PyTorch AdamW, decoupled weight decay):
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p = p (1 - lr wd) - lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
// Checkpoints: adamw_checkpoint_tensors lists m and v named "<param>.adam_m" / "<param>.adam_v" (write them
// with the adapter, see lora-io.h); adamw_checkpoint_restore copies them back.
// Does not: clip gradients, schedule the learning rate, or own the parameters.
#pragma once

#include "ggml-backend.h"
#include "ggml-cpp.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct lora_io_file;

struct adamw_params {
    float lr           = 1e-4f;
    float beta1        = 0.9f;
    float beta2        = 0.999f;
    float eps          = 1e-8f;
    float weight_decay = 0.0f;
};

struct adamw_state {
    std::vector<ggml_tensor *> params; // not owned
    std::vector<ggml_tensor *> grads;  // accumulators, same shapes as params
    std::vector<ggml_tensor *> m;
    std::vector<ggml_tensor *> v;
    ggml_tensor *              hparams = nullptr; // [7]: lr, beta1, beta2, eps, wd, 1/(1-beta1^t), 1/(1-beta2^t)
    int64_t                    step    = 0;       // optimizer steps done

    ggml_context_ptr           ctx;        // m, v, hparams (no_alloc)
    ggml_backend_buffer_ptr    buf;        // their data
    ggml_context_ptr           ctx_grads;  // the accumulators (no_alloc)
    ggml_backend_buffer_ptr    buf_grads;  // their data: zeroing is one buffer clear
    ggml_context_ptr           ctx_update; // the update graph, built once
    ggml_cgraph *              graph   = nullptr;
    ggml_gallocr_ptr           galloc;

    // Index of `param` in params, or -1.
    int find(const ggml_tensor * param) const;
};

std::unique_ptr<adamw_state> adamw_init(const std::vector<ggml_tensor *> & params, ggml_backend_t backend);

void adamw_zero_grads(adamw_state & st);

// One update with the accumulated gradients, then zeroes them. Throws soo_error on bad hyper-parameters.
void adamw_step(adamw_state & st, const adamw_params & hp, ggml_backend_t backend);

std::vector<ggml_tensor *> adamw_checkpoint_tensors(const adamw_state & st);

// Restores m, v (by name) and `step`. Throws soo_error (bad_input) if a tensor is missing or has another shape.
void adamw_checkpoint_restore(adamw_state & st, const lora_io_file & file, int64_t step);
