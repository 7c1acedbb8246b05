// gguf-check: validates a GGUF file BEFORE llama.cpp loads it, so that a bad file becomes an error
// message instead of a GGML_ASSERT that aborts the process.
//
// Checks, in order (the first failure throws soo_error SOO_ERROR_BAD_INPUT naming the file):
//   1. the file can be opened and read;
//   2. the 4-byte magic is "GGUF" and the version is 2 or 3;
//   3. ggml's GGUF parser accepts the metadata (key/value pairs and tensor infos);
//   4. every tensor's data range [data_offset + offset, + nbytes) lies inside the file (not truncated);
//   5. for a model (gguf_check_file_model): general.architecture is one we support, the basic
//      hyper-parameters are present and consistent, token_embd.weight exists;
//      for a LoRA adapter (gguf_check_file_adapter): general.type = "adapter", adapter.type = "lora",
//      general.architecture equals the base model's, every `.lora_a` has its `.lora_b` and vice versa.
// It does not read tensor data (no NaN checks) and does not load anything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct gguf_check_summary {
    std::string path;
    uint32_t    version      = 0;
    std::string architecture;        // general.architecture
    std::string type;                // general.type ("model" when absent), "adapter" for LoRA files
    int64_t     n_tensors    = 0;
    int64_t     n_kv         = 0;
    uint64_t    file_size    = 0;    // bytes
};

// Architectures whose graphs have the tap nodes this addon looks for (o_proj, ffn_down, l_out-L).
const std::vector<std::string> & gguf_check_supported_architectures();

// Header, metadata, tensor ranges only; any architecture. Throws soo_error.
gguf_check_summary gguf_check_file(const std::string & path);

// gguf_check_file + a supported model architecture with sane hyper-parameters. Throws soo_error.
gguf_check_summary gguf_check_file_model(const std::string & path);

// gguf_check_file + a LoRA adapter made for `base_arch`. Throws soo_error.
gguf_check_summary gguf_check_file_adapter(const std::string & path, const std::string & base_arch);
