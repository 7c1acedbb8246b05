// cpu-bufts: where a frozen weight lives on the CPU backend. Besides the plain CPU buffer, ggml-cpu offers
// "extra" buffer types that store matrices in layouts its fastest kernels want (AMX tiles for Q4_0/Q8_0/
// Q4_K/... on AMX CPUs, repacked Q4_0/Q4_K/IQ4_NL for AVX2/NEON GEMMs); llama.cpp puts weights there, so
// our forward should too or it is slower than the llama.cpp forward it is compared with.
// Those buffers only serve MUL_MAT (and reading them back gives the repacked layout), so a weight may live
// there only if the graph uses it in MUL_MAT alone: true when fast-backward gives it a W^T copy (made from
// the original bytes re-read from the file), false for input-grad-op (it reads W's rows) and for ggml's
// OUT_PROD backward. soo_train_params.repacked_weights (default off) asks for them; TRAINING.md weighs the
// speed against the copies' memory.
// Does not: choose GPU buffers.
#pragma once

#include "ggml-backend.h"

#include <vector>

struct cpu_bufts {
    ggml_backend_dev_t                      dev   = nullptr;
    ggml_backend_buffer_type_t              plain = nullptr; // the CPU backend's default buffer type
    std::vector<ggml_backend_buffer_type_t> extra;           // empty when not allowed or not available

    // The first extra type whose MUL_MAT supports `w` (shape and type of a [n_in, n_out] weight times an
    // F32 [n_in, n_tokens] activation), else `plain`.
    ggml_backend_buffer_type_t for_matmul(const ggml_tensor * w) const;
};

cpu_bufts cpu_bufts_init(ggml_backend_t backend, bool allow_extra);
