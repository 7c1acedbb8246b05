// self-anchor: see self-anchor.h.
#include "train/self-anchor.h"

ggml_tensor * self_anchor_build(ggml_context * ctx, ggml_tensor * resid, ggml_tensor * resid_base, int64_t n_self) {
    const int64_t n_embd = resid->ne[0];
    GGML_ASSERT(resid->ne[1] >= n_self && resid_base->ne[0] == n_embd && resid_base->ne[1] == n_self);
    // the self rows of the adapted residual: [n_embd, n_self]
    ggml_tensor * self = ggml_view_2d(ctx, resid, n_embd, n_self, resid->nb[1], 0);
    // mean((self - base)^2): [1]
    ggml_tensor * diff   = ggml_sub(ctx, self, resid_base);
    ggml_tensor * anchor = ggml_scale(ctx, ggml_sum(ctx, ggml_sqr(ctx, diff)), 1.0f / (float) ggml_nelements(diff));
    ggml_set_name(anchor, "self_anchor");
    return anchor;
}
