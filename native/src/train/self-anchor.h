// self-anchor: an optional second term of the SOO objective that keeps the self prompt's behaviour at the base
// model's, the LLM counterpart of the capability term of the RL version of SOO (method.md, "RL experiment"):
//
//   objective = SOO loss + lambda * anchor,   anchor = mean over n_embd * n_self values of (r_lora - r_base)^2
//
// where r is l_out-L (graph-llama.h) of the self tokens, every position: layer L's output, which is all the
// frozen layers above L read. anchor = 0 therefore means the model's next-token outputs on that self prompt
// are the base model's. r_base comes from a second, adapter-free forward of the
// self tokens in the same graph; it depends on no trained tensor, so no gradient flows into it.
// Why: SOO on the organism either leaves behaviour alone or breaks copying on both sides (organism-notes.md;
// native/src/lm/README.md). The anchor lets a run push harder on the other side while the self side stays put.
// Does not: anchor the other prompt (that is the side SOO must move), or compare logits (layers above L are not
// loaded; equal l_out-L already implies equal logits).
#pragma once

#include "ggml.h"

#include <cstdint>

// resid: l_out-L [n_embd, n_self + n_other] with the adapter; resid_base: l_out-L [n_embd, n_self] without it
// (the self tokens only). Returns the scalar anchor [1] (before lambda), named "self_anchor".
ggml_tensor * self_anchor_build(ggml_context * ctx, ggml_tensor * resid, ggml_tensor * resid_base, int64_t n_self);
