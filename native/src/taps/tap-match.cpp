// tap-match: see tap-match.h.
#include "taps/tap-match.h"

#include "ggml.h"

#include <cstring>

namespace {

bool name_is(const ggml_tensor * t, const std::string & name) {
    return t != nullptr && !name.empty() && name == ggml_get_name(t);
}

bool name_ends_with(const ggml_tensor * t, const char * suffix) {
    if (t == nullptr) return false;
    const char * name = ggml_get_name(t);
    const size_t n = std::strlen(name), m = std::strlen(suffix);
    return n >= m && std::strcmp(name + n - m, suffix) == 0;
}

// base weight name "blk.L.attn_output.weight" -> "blk.L.attn_output" + suffix
std::string sibling(const std::string & weight_name, const char * suffix) {
    const std::string stem = weight_name.substr(0, weight_name.size() - std::strlen(".weight"));
    return stem + suffix;
}

// Does `t` continue the chain ending at `end` (the o_proj / down_proj result built by build_lora_mm and
// build_attn / build_ffn)?
bool continues_chain(const ggml_tensor * t, const ggml_tensor * end, const std::string & weight_name) {
    if (t->src[0] != end || t->src[1] == nullptr) return false;
    const ggml_tensor * other = t->src[1];
    if (t->op == GGML_OP_ADD) {
        // LoRA: res = add(res, scale(mul_mat(lora_b, mul_mat(lora_a, x)), s))
        if (other->op == GGML_OP_SCALE && other->src[0] != nullptr && other->src[0]->op == GGML_OP_MUL_MAT &&
            name_ends_with(other->src[0]->src[0], ".lora_b")) {
            return true;
        }
        // bias
        return name_is(other, sibling(weight_name, ".bias"));
    }
    if (t->op == GGML_OP_MUL) {
        return name_is(other, sibling(weight_name, ".scale")); // per-tensor scale (w_s)
    }
    return false;
}

} // namespace

bool tap_point_from_name(const std::string & name, tap_point & out) {
    if (name == "attn_out") { out = TAP_POINT_ATTN_OUT; return true; }
    if (name == "mlp_out")  { out = TAP_POINT_MLP_OUT;  return true; }
    if (name == "resid")    { out = TAP_POINT_RESID;    return true; }
    if (name == "kqv_out")  { out = TAP_POINT_KQV_OUT;  return true; }
    return false;
}

const char * tap_point_name(tap_point point) {
    switch (point) {
        case TAP_POINT_ATTN_OUT: return "attn_out";
        case TAP_POINT_MLP_OUT:  return "mlp_out";
        case TAP_POINT_RESID:    return "resid";
        case TAP_POINT_KQV_OUT:  return "kqv_out";
    }
    return "?";
}

void tap_match_init(tap_match & m, const std::vector<tap_request> & requests) {
    m.requests = requests;
    m.weight_names.assign(requests.size(), "");
    m.node_names.assign(requests.size(), "");
    m.max_layer = -1;
    for (size_t i = 0; i < requests.size(); ++i) {
        const std::string il = std::to_string(requests[i].layer);
        switch (requests[i].point) {
            case TAP_POINT_ATTN_OUT: m.weight_names[i] = "blk." + il + ".attn_output.weight"; break;
            case TAP_POINT_MLP_OUT:  m.weight_names[i] = "blk." + il + ".ffn_down.weight";    break;
            case TAP_POINT_RESID:    m.node_names[i]   = "l_out-" + il;                       break;
            case TAP_POINT_KQV_OUT:  m.node_names[i]   = "kqv_out-" + il;                     break;
        }
        if (requests[i].layer > m.max_layer) m.max_layer = requests[i].layer;
    }
    tap_match_reset(m);
}

void tap_match_reset(tap_match & m) {
    m.chain.assign(m.requests.size(), nullptr);
}

void tap_match_node(tap_match & m, const ggml_tensor * t, std::vector<int> & hits) {
    for (size_t i = 0; i < m.requests.size(); ++i) {
        if (!m.node_names[i].empty()) {
            if (name_is(t, m.node_names[i])) hits.push_back((int) i);
            continue;
        }
        const std::string & w = m.weight_names[i];
        if (t->op == GGML_OP_MUL_MAT && name_is(t->src[0], w)) {
            m.chain[i] = t;
            hits.push_back((int) i);
        } else if (m.chain[i] != nullptr && continues_chain(t, m.chain[i], w)) {
            m.chain[i] = t;
            hits.push_back((int) i);
        }
    }
}

int32_t tap_match_node_layer(const ggml_tensor * t) {
    const char * name = ggml_get_name(t);
    const char * dash = std::strrchr(name, '-');
    if (dash == nullptr || dash == name || dash[1] < '0' || dash[1] > '9') return -1;
    int32_t      il = 0;
    const char * p  = dash + 1;
    for (; *p >= '0' && *p <= '9'; ++p) il = il * 10 + (*p - '0');
    if (*p != '\0' && *p != ' ') return -1;
    return il;
}
