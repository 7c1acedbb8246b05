// tap-match: decides, node by node, whether a node of llama.cpp's graph is a requested tap.
//
// Tap points (names shared across the project, style.md section 10), per layer L:
//   attn_out  output of the attention output projection (HF self_attn.o_proj), before the residual add
//             and before any post-attention norm. Found as the MUL_MAT whose src[0] is the weight
//             `blk.L.attn_output.weight`, followed through what build_lora_mm / build_attn append to it:
//             LoRA terms (ADD of a SCALE of MUL_MAT(lora_b, ...)), a per-tensor scale
//             (`blk.L.attn_output.scale`) and a bias (`blk.L.attn_output.bias`). Works for every supported
//             architecture; equals the node llama.cpp names `attn_out-L` in the llama graph.
//   mlp_out   the same for the MLP down projection `blk.L.ffn_down.weight` (HF mlp.down_proj output),
//             before the residual add and before any post-FFN norm.
//   resid     the layer's output, the node named `l_out-L` (TransformerLens resid_post).
//   kqv_out   the attention output BEFORE o_proj, the node named `kqv_out-L` (heads concatenated,
//             TransformerLens hook_z flattened): the x of attn_out = W_o x.
// A chain (attn_out/mlp_out) is captured at every step and the last capture wins, because the callback
// sees nodes in order and cannot look ahead. Names may repeat on several nodes: the last one wins too.
//
// All tensors are ggml ne = [n_embd, n_rows] (row-major [n_rows, n_embd] in memory).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct ggml_tensor;

enum tap_point {
    TAP_POINT_ATTN_OUT,
    TAP_POINT_MLP_OUT,
    TAP_POINT_RESID,
    TAP_POINT_KQV_OUT,
};

// "attn_out" -> TAP_POINT_ATTN_OUT ...; returns false for an unknown name.
bool        tap_point_from_name(const std::string & name, tap_point & out);
const char * tap_point_name(tap_point point);

struct tap_request {
    int32_t   layer;
    tap_point point;
};

// Per-decode matching state. Reset before every graph evaluation (tap_match_reset).
struct tap_match {
    std::vector<tap_request>   requests;
    std::vector<std::string>   weight_names;  // per request: "blk.L.attn_output.weight" / ffn_down; "" otherwise
    std::vector<std::string>   node_names;    // per request: "l_out-L" / "kqv_out-L"; "" otherwise
    std::vector<const ggml_tensor *> chain;   // per request: the current end of the attn_out/mlp_out chain
    int32_t                    max_layer = -1; // highest tapped layer
};

void tap_match_init(tap_match & m, const std::vector<tap_request> & requests);
void tap_match_reset(tap_match & m);

// Appends to `hits` the indices of the requests that node `t` answers (usually none or one), and advances
// the chains. Called once per node in graph order.
void tap_match_node(tap_match & m, const ggml_tensor * t, std::vector<int> & hits);

// Layer index encoded in a node name "<name>-<il>" (optionally followed by " (view)" etc.), or -1.
int32_t tap_match_node_layer(const ggml_tensor * t);
