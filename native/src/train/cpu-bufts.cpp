// cpu-bufts: see cpu-bufts.h. Support is probed like llama.cpp's weight_buft_supported: a dummy MUL_MAT
// whose weight pretends to live in a zero-size buffer of the candidate type, asked of the CPU device.
#include "train/cpu-bufts.h"

#include "ggml-cpp.h"

cpu_bufts cpu_bufts_init(ggml_backend_t backend, bool allow_extra) {
    cpu_bufts b;
    b.dev   = ggml_backend_get_device(backend);
    b.plain = ggml_backend_get_default_buffer_type(backend);
    if (!allow_extra || !b.dev) return b;
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(b.dev);
    auto get_extra = (ggml_backend_dev_get_extra_bufts_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    if (!get_extra) return b;
    for (ggml_backend_buffer_type_t * t = get_extra(b.dev); t && *t; ++t) b.extra.push_back(*t);
    return b;
}

ggml_backend_buffer_type_t cpu_bufts::for_matmul(const ggml_tensor * w) const {
    for (ggml_backend_buffer_type_t buft : extra) {
        ggml_init_params ip = { ggml_tensor_overhead() * 4, nullptr, true };
        ggml_context_ptr ctx(ggml_init(ip));
        ggml_tensor * wd = ggml_new_tensor_2d(ctx.get(), w->type, w->ne[0], w->ne[1]);
        ggml_tensor * x  = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, w->ne[0], 512);
        ggml_tensor * op = ggml_mul_mat(ctx.get(), wd, x);
        ggml_backend_buffer_ptr probe(ggml_backend_buft_alloc_buffer(buft, 0));
        if (!probe) continue;
        wd->buffer = probe.get();
        const bool ok = ggml_backend_dev_supports_op(dev, op);
        wd->buffer = nullptr;
        if (ok) return buft;
    }
    return plain;
}
