// adamw: see adamw.h.
#include "optim/adamw.h"

#include "errors.h"
#include "lora/lora-io.h"

#include <cmath>

int adamw_state::find(const ggml_tensor * param) const {
    for (size_t i = 0; i < params.size(); ++i) if (params[i] == param) return (int) i;
    return -1;
}

std::unique_ptr<adamw_state> adamw_init(const std::vector<ggml_tensor *> & params, ggml_backend_t backend) {
    auto st = std::make_unique<adamw_state>();
    st->params = params;
    ggml_backend_buffer_type_t buft = ggml_backend_get_default_buffer_type(backend);

    // accumulators in their own context and buffer, so adamw_zero_grads is one buffer clear
    ggml_init_params ip = { ggml_tensor_overhead() * (3 * params.size() + 1), nullptr, true };
    st->ctx.reset(ggml_init(ip));
    ggml_init_params ipg = { ggml_tensor_overhead() * (params.size() + 1), nullptr, true };
    st->ctx_grads.reset(ggml_init(ipg));
    for (ggml_tensor * p : params) {
        GGML_ASSERT(p->type == GGML_TYPE_F32);
        ggml_tensor * g = ggml_dup_tensor(st->ctx_grads.get(), p);
        ggml_tensor * m = ggml_dup_tensor(st->ctx.get(), p);
        ggml_tensor * v = ggml_dup_tensor(st->ctx.get(), p);
        ggml_format_name(g, "%s.grad", p->name);
        ggml_format_name(m, "%s.adam_m", p->name);
        ggml_format_name(v, "%s.adam_v", p->name);
        st->grads.push_back(g);
        st->m.push_back(m);
        st->v.push_back(v);
    }
    st->hparams = ggml_new_tensor_1d(st->ctx.get(), GGML_TYPE_F32, 7);
    ggml_set_name(st->hparams, "adamw_params");
    st->buf.reset(ggml_backend_alloc_ctx_tensors_from_buft(st->ctx.get(), buft));
    st->buf_grads.reset(ggml_backend_alloc_ctx_tensors_from_buft(st->ctx_grads.get(), buft));
    if (!st->buf || !st->buf_grads) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the optimizer state (out of memory?)");
    ggml_backend_buffer_clear(st->buf.get(), 0);
    ggml_backend_buffer_clear(st->buf_grads.get(), 0);

    // the update graph: one opt_step_adamw per parameter, each an in-place view of the parameter
    ggml_init_params ipu = { ggml_tensor_overhead() * (params.size() + 8) + ggml_graph_overhead(), nullptr, true };
    st->ctx_update.reset(ggml_init(ipu));
    ggml_context * ctx_upd = st->ctx_update.get();
    st->graph = ggml_new_graph(ctx_upd);
    for (size_t i = 0; i < params.size(); ++i) {
        ggml_build_forward_expand(st->graph, ggml_opt_step_adamw(ctx_upd, params[i], st->grads[i], st->m[i], st->v[i], st->hparams));
    }
    st->galloc.reset(ggml_gallocr_new(buft));
    if (!ggml_gallocr_alloc_graph(st->galloc.get(), st->graph)) throw soo_error(SOO_ERROR_INTERNAL, "cannot allocate the optimizer graph");
    return st;
}

void adamw_zero_grads(adamw_state & st) {
    ggml_backend_buffer_clear(st.buf_grads.get(), 0);
}

void adamw_step(adamw_state & st, const adamw_params & hp, ggml_backend_t backend) {
    if (!(hp.lr > 0.0f) || !(hp.beta1 >= 0.0f && hp.beta1 < 1.0f) || !(hp.beta2 >= 0.0f && hp.beta2 < 1.0f) ||
        !(hp.eps > 0.0f) || !(hp.weight_decay >= 0.0f)) {
        throw soo_error(SOO_ERROR_BAD_INPUT, "invalid AdamW hyper-parameters: need lr > 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0");
    }
    st.step += 1;
    const float t = (float) st.step;
    const float par[7] = {
        hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weight_decay,
        1.0f / (1.0f - std::pow(hp.beta1, t)), 1.0f / (1.0f - std::pow(hp.beta2, t)),
    };
    ggml_backend_tensor_set(st.hparams, par, 0, sizeof(par));
    if (ggml_backend_graph_compute(backend, st.graph) != GGML_STATUS_SUCCESS) {
        throw soo_error(SOO_ERROR_INTERNAL, "the AdamW update failed to compute");
    }
    adamw_zero_grads(st);
}

std::vector<ggml_tensor *> adamw_checkpoint_tensors(const adamw_state & st) {
    std::vector<ggml_tensor *> out;
    for (size_t i = 0; i < st.params.size(); ++i) { out.push_back(st.m[i]); out.push_back(st.v[i]); }
    return out;
}

void adamw_checkpoint_restore(adamw_state & st, const lora_io_file & file, int64_t step) {
    for (ggml_tensor * t : adamw_checkpoint_tensors(st)) {
        const ggml_tensor * src = file.get(t->name);
        if (!src || !ggml_are_same_shape(src, t) || src->type != GGML_TYPE_F32) {
            throw soo_error(SOO_ERROR_BAD_INPUT, "'" + file.path + "': checkpoint tensor '" + t->name +
                            "' is missing or has another shape (hint: the checkpoint was made with other LoRA settings)", file.path);
        }
        ggml_backend_tensor_set(t, src->data, 0, ggml_nbytes(t));
    }
    st.step = step;
    adamw_zero_grads(st);
}
