// soo-loss: see soo-loss.h.
#include "train/soo-loss.h"

#include "errors.h"

soo_point soo_point_from_name(const std::string & name) {
    if (name == "attn_out") return SOO_POINT_ATTN_OUT;
    if (name == "mlp_out")  return SOO_POINT_MLP_OUT;
    if (name == "resid")    return SOO_POINT_RESID;
    throw soo_error(SOO_ERROR_BAD_INPUT, "unknown tap point '" + name + "' (expected attn_out, mlp_out or resid)");
}

const char * soo_point_name(soo_point point) {
    switch (point) {
        case SOO_POINT_ATTN_OUT: return "attn_out";
        case SOO_POINT_MLP_OUT:  return "mlp_out";
        case SOO_POINT_RESID:    return "resid";
    }
    return "?";
}

soo_positions soo_positions_from_name(const std::string & name) {
    if (name == "full") return SOO_POSITIONS_FULL;
    if (name == "last") return SOO_POSITIONS_LAST;
    if (name == "mean") return SOO_POSITIONS_MEAN;
    throw soo_error(SOO_ERROR_BAD_INPUT, "unknown positions '" + name + "' (expected full, last or mean)");
}

const char * soo_positions_name(soo_positions positions) {
    switch (positions) {
        case SOO_POSITIONS_FULL: return "full";
        case SOO_POSITIONS_LAST: return "last";
        case SOO_POSITIONS_MEAN: return "mean";
    }
    return "?";
}

void soo_loss_check(soo_positions positions, int64_t n_self, int64_t n_other, const std::string & where) {
    if (n_self < 1 || n_other < 1) {
        throw soo_error(SOO_ERROR_BAD_INPUT, where + ": empty prompt (self has " + std::to_string(n_self) +
                        " tokens, other has " + std::to_string(n_other) + ")");
    }
    if (positions == SOO_POSITIONS_FULL && n_self != n_other) {
        throw soo_error(SOO_ERROR_BAD_INPUT, where + ": self has " + std::to_string(n_self) + " tokens but other has " +
                        std::to_string(n_other) + "; positions 'full' compares token by token and needs equal counts " +
                        "(hint: reword the pair so both sides tokenize to the same length, or use positions 'last' or 'mean')");
    }
}

ggml_tensor * soo_loss_build(ggml_context * ctx, ggml_tensor * tapped, int64_t n_self, int64_t n_other, soo_positions positions) {
    const int64_t n_embd = tapped->ne[0];
    GGML_ASSERT(tapped->ne[1] == n_self + n_other);
    const size_t row = tapped->nb[1];

    ggml_tensor * a_self  = nullptr; // compared rows of self:  [n_embd, n]
    ggml_tensor * a_other = nullptr; // compared rows of other: [n_embd, n]
    switch (positions) {
        case SOO_POSITIONS_FULL: {
            GGML_ASSERT(n_self == n_other);
            a_self  = ggml_view_2d(ctx, tapped, n_embd, n_self, row, 0);
            a_other = ggml_view_2d(ctx, tapped, n_embd, n_other, row, row * n_self);
        } break;
        case SOO_POSITIONS_LAST: {
            a_self  = ggml_view_2d(ctx, tapped, n_embd, 1, row, row * (n_self - 1));
            a_other = ggml_view_2d(ctx, tapped, n_embd, 1, row, row * (n_self + n_other - 1));
        } break;
        case SOO_POSITIONS_MEAN: {
            // mean over tokens: transpose to [n, n_embd], mean of each row -> [1, n_embd].
            // The reshape (a no-op on shape) makes the backward pass turn the transposed gradient contiguous
            // before it reaches the view (ggml's view backward needs contiguous rows).
            ggml_tensor * s = ggml_reshape_2d(ctx, ggml_view_2d(ctx, tapped, n_embd, n_self, row, 0), n_embd, n_self);
            ggml_tensor * o = ggml_reshape_2d(ctx, ggml_view_2d(ctx, tapped, n_embd, n_other, row, row * n_self), n_embd, n_other);
            a_self  = ggml_mean(ctx, ggml_cont(ctx, ggml_transpose(ctx, s)));
            a_other = ggml_mean(ctx, ggml_cont(ctx, ggml_transpose(ctx, o)));
        } break;
    }
    // mean((self - other)^2): [1]
    ggml_tensor * diff = ggml_sub(ctx, a_self, a_other);
    ggml_tensor * loss = ggml_scale(ctx, ggml_sum(ctx, ggml_sqr(ctx, diff)), 1.0f / (float) ggml_nelements(diff));
    ggml_set_name(loss, "soo_loss");
    return loss;
}
