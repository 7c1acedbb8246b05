// gguf-check: see gguf-check.h. Every getter on a gguf_context asserts on a type mismatch, so each key
// is looked up with its type checked first (gguf_check_get_*).
#include "model/gguf-check.h"

#include "errors.h"
#include "log-capture.h"

#include "ggml.h"
#include "gguf.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>

namespace {

struct gguf_context_deleter {
    void operator()(gguf_context * ctx) const { gguf_free(ctx); }
};
using gguf_context_ptr = std::unique_ptr<gguf_context, gguf_context_deleter>;

[[noreturn]] void fail(const std::string & path, const std::string & message) {
    throw soo_error(SOO_ERROR_BAD_INPUT, message + " (file: " + path + ")", path);
}

std::string printable_magic(const char magic[4]) {
    std::string out;
    char        hex[8];
    for (int i = 0; i < 4; ++i) {
        const unsigned char c = (unsigned char) magic[i];
        out += (c >= 32 && c < 127) ? (char) c : '?';
    }
    out += " (hex";
    for (int i = 0; i < 4; ++i) {
        snprintf(hex, sizeof(hex), " %02x", (unsigned char) magic[i]);
        out += hex;
    }
    return out + ")";
}

// A string value, or "" when the key is absent; throws when the key holds another type.
std::string gguf_check_get_str(const gguf_context * ctx, const std::string & key, const std::string & path) {
    const int64_t id = gguf_find_key(ctx, key.c_str());
    if (id < 0) return "";
    if (gguf_get_kv_type(ctx, id) != GGUF_TYPE_STRING) {
        fail(path, "metadata key '" + key + "' should be a string but is " + gguf_type_name(gguf_get_kv_type(ctx, id)));
    }
    return gguf_get_val_str(ctx, id);
}

// An unsigned/signed integer value as int64, or -1 when absent; arrays count as absent here (llama.cpp
// allows per-layer arrays for some keys: we then read the first element).
int64_t gguf_check_get_int(const gguf_context * ctx, const std::string & key, const std::string & path) {
    const int64_t id = gguf_find_key(ctx, key.c_str());
    if (id < 0) return -1;
    enum gguf_type type = gguf_get_kv_type(ctx, id);
    const void *   data = nullptr;
    if (type == GGUF_TYPE_ARRAY) {
        if (gguf_get_arr_n(ctx, id) == 0) return -1;
        type = gguf_get_arr_type(ctx, id);
        if (type == GGUF_TYPE_STRING || type == GGUF_TYPE_ARRAY) {
            fail(path, "metadata key '" + key + "' should be an integer but is an array of " + gguf_type_name(type));
        }
        data = gguf_get_arr_data(ctx, id);
    } else {
        if (type == GGUF_TYPE_STRING) fail(path, "metadata key '" + key + "' should be an integer but is a string");
        data = gguf_get_val_data(ctx, id);
    }
    switch (type) {
        case GGUF_TYPE_UINT8:  return *(const uint8_t *)  data;
        case GGUF_TYPE_INT8:   return *(const int8_t *)   data;
        case GGUF_TYPE_UINT16: return *(const uint16_t *) data;
        case GGUF_TYPE_INT16:  return *(const int16_t *)  data;
        case GGUF_TYPE_UINT32: return *(const uint32_t *) data;
        case GGUF_TYPE_INT32:  return *(const int32_t *)  data;
        case GGUF_TYPE_UINT64: return (int64_t) *(const uint64_t *) data;
        case GGUF_TYPE_INT64:  return *(const int64_t *)  data;
        default:
            fail(path, "metadata key '" + key + "' should be an integer but is " + gguf_type_name(type));
    }
}

struct gguf_checked {
    gguf_check_summary summary;
    gguf_context_ptr   ctx;
};

gguf_checked gguf_check_open(const std::string & path) {
    gguf_checked out;
    out.summary.path = path;

    // 1. readable
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file) fail(path, std::string("cannot open the file: ") + std::strerror(errno));
    const std::streamoff size = file.tellg();
    if (size < 0) fail(path, "cannot determine the file size");
    out.summary.file_size = (uint64_t) size;

    // 2. magic and version (24 bytes: magic, version u32, n_tensors i64, n_kv i64)
    if (out.summary.file_size < 24) {
        fail(path, "not a GGUF file: " + std::to_string(out.summary.file_size) + " bytes, a GGUF header needs at least 24");
    }
    char     magic[4];
    uint32_t version = 0;
    file.seekg(0);
    file.read(magic, 4);
    file.read(reinterpret_cast<char *>(&version), 4);
    if (!file) fail(path, "cannot read the GGUF header");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
        fail(path, "not a GGUF file: magic is '" + printable_magic(magic) + "', expected 'GGUF'");
    }
    if (version != 2 && version != 3) {
        fail(path, "unsupported GGUF version " + std::to_string(version) + ", expected 2 or 3");
    }
    out.summary.version = version;
    file.close();

    // 3. metadata and tensor infos, parsed by ggml without allocating tensor data
    log_capture    capture;
    gguf_init_params params = { /*no_alloc =*/ true, /*ctx =*/ nullptr };
    out.ctx.reset(gguf_init_from_file(path.c_str(), params));
    if (!out.ctx) {
        fail(path, "malformed GGUF metadata" + capture.suffix() + "; the file is probably truncated or corrupt");
    }
    gguf_context * ctx = out.ctx.get();
    out.summary.n_tensors = gguf_get_n_tensors(ctx);
    out.summary.n_kv      = gguf_get_n_kv(ctx);

    // 4. every tensor's data inside the file
    const uint64_t data_offset = gguf_get_data_offset(ctx);
    for (int64_t i = 0; i < out.summary.n_tensors; ++i) {
        const uint64_t begin = data_offset + gguf_get_tensor_offset(ctx, i);
        const uint64_t end   = begin + gguf_get_tensor_size(ctx, i);
        if (end > out.summary.file_size) {
            fail(path, std::string("truncated GGUF: tensor '") + gguf_get_tensor_name(ctx, i) + "' ends at byte " +
                           std::to_string(end) + " but the file has " + std::to_string(out.summary.file_size) + " bytes");
        }
    }

    out.summary.architecture = gguf_check_get_str(ctx, "general.architecture", path);
    out.summary.type         = gguf_check_get_str(ctx, "general.type", path);
    if (out.summary.type.empty()) out.summary.type = "model";
    return out;
}

std::string join(const std::vector<std::string> & items) {
    std::string out;
    for (const auto & s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

} // namespace

const std::vector<std::string> & gguf_check_supported_architectures() {
    // dense decoder-only transformers with o_proj (attn_output), ffn_down and an l_out-L residual node
    static const std::vector<std::string> archs = {
        "llama", "mistral3", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3", "granite", "olmo2",
    };
    return archs;
}

gguf_check_summary gguf_check_file(const std::string & path) {
    return gguf_check_open(path).summary;
}

gguf_check_summary gguf_check_file_model(const std::string & path) {
    gguf_checked         checked = gguf_check_open(path);
    const gguf_context * ctx     = checked.ctx.get();
    const std::string &  arch    = checked.summary.architecture;

    if (checked.summary.type == "adapter") {
        fail(path, "this is a LoRA adapter (general.type = adapter), not a model");
    }
    if (arch.empty()) fail(path, "metadata key 'general.architecture' is missing");
    const auto & supported = gguf_check_supported_architectures();
    if (std::find(supported.begin(), supported.end(), arch) == supported.end()) {
        fail(path, "unsupported architecture '" + arch + "'; supported: " + join(supported));
    }

    // hyper-parameters the graph builders assert on
    const int64_t n_layer = gguf_check_get_int(ctx, arch + ".block_count", path);
    const int64_t n_embd  = gguf_check_get_int(ctx, arch + ".embedding_length", path);
    const int64_t n_head  = gguf_check_get_int(ctx, arch + ".attention.head_count", path);
    const int64_t n_ff    = gguf_check_get_int(ctx, arch + ".feed_forward_length", path);
    const int64_t head_k  = gguf_check_get_int(ctx, arch + ".attention.key_length", path);
    const int64_t n_kv    = gguf_check_get_int(ctx, arch + ".attention.head_count_kv", path);
    const std::pair<const char *, int64_t> required[] = {
        { ".block_count", n_layer }, { ".embedding_length", n_embd }, { ".attention.head_count", n_head },
        { ".feed_forward_length", n_ff },
    };
    for (const auto & [suffix, value] : required) {
        if (value <= 0) {
            fail(path, "metadata key '" + arch + suffix + "' is missing or not positive (got " + std::to_string(value) + ")");
        }
    }
    if (head_k <= 0 && n_embd % n_head != 0) {
        fail(path, "embedding_length " + std::to_string(n_embd) + " is not divisible by head_count " +
                       std::to_string(n_head) + " and attention.key_length is absent");
    }
    if (n_kv > 0 && n_head % n_kv != 0) {
        fail(path, "head_count " + std::to_string(n_head) + " is not a multiple of head_count_kv " + std::to_string(n_kv));
    }
    if (gguf_find_tensor(ctx, "token_embd.weight") < 0) fail(path, "tensor 'token_embd.weight' is missing");
    for (int64_t il = 0; il < n_layer; ++il) {
        const std::string name = "blk." + std::to_string(il) + ".attn_output.weight";
        if (gguf_find_tensor(ctx, name.c_str()) < 0) {
            fail(path, "tensor '" + name + "' is missing (block_count is " + std::to_string(n_layer) + ")");
        }
    }
    return checked.summary;
}

gguf_check_summary gguf_check_file_adapter(const std::string & path, const std::string & base_arch) {
    gguf_checked         checked = gguf_check_open(path);
    const gguf_context * ctx     = checked.ctx.get();

    if (checked.summary.type != "adapter") {
        fail(path, "not a LoRA adapter: general.type is '" + checked.summary.type + "', expected 'adapter'");
    }
    const std::string adapter_type = gguf_check_get_str(ctx, "adapter.type", path);
    if (adapter_type != "lora") {
        fail(path, "unsupported adapter.type '" + adapter_type + "', expected 'lora'");
    }
    if (checked.summary.architecture != base_arch) {
        fail(path, "adapter is for architecture '" + checked.summary.architecture + "' but the model is '" + base_arch +
                       "' (hint: adapter made for another model?)");
    }
    std::set<std::string> a_names, b_names;
    for (int64_t i = 0; i < checked.summary.n_tensors; ++i) {
        const std::string name = gguf_get_tensor_name(ctx, i);
        const auto        ends = [&](const char * s) {
            const size_t n = std::strlen(s);
            return name.size() > n && name.compare(name.size() - n, n, s) == 0;
        };
        if (ends(".lora_a")) a_names.insert(name.substr(0, name.size() - 7));
        else if (ends(".lora_b")) b_names.insert(name.substr(0, name.size() - 7));
    }
    for (const auto & base : a_names) {
        if (!b_names.count(base)) fail(path, "tensor '" + base + ".lora_a' has no matching '" + base + ".lora_b'");
    }
    for (const auto & base : b_names) {
        if (!a_names.count(base)) fail(path, "tensor '" + base + ".lora_b' has no matching '" + base + ".lora_a'");
    }
    if (a_names.empty()) fail(path, "the adapter has no .lora_a/.lora_b tensor pairs");
    return checked.summary;
}
