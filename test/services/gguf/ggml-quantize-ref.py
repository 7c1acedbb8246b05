"""Quantizes float32 values with ggml's own reference quantizers (libggml-base.so, the copy that
node-llama-cpp ships), so the TypeScript quantizers can be compared byte for byte.

usage: python3 ggml-quantize-ref.py LIBGGML_BASE TYPE IN.f32 OUT.bin
TYPE: f16 | q8_0 | q4_k. IN.f32 is raw little-endian float32; OUT.bin gets ggml's bytes.
"""
import ctypes
import sys

lib_path, qtype, in_path, out_path = sys.argv[1:5]
lib = ctypes.CDLL(lib_path)
data = open(in_path, 'rb').read()
n = len(data) // 4
src = (ctypes.c_float * n).from_buffer_copy(data)
sizes = {'f16': (1, 2), 'q8_0': (32, 34), 'q4_k': (256, 144)}
block, type_size = sizes[qtype]
dst = (ctypes.c_uint8 * (n // block * type_size))()
fn = {'f16': 'ggml_fp32_to_fp16_row', 'q8_0': 'quantize_row_q8_0_ref', 'q4_k': 'quantize_row_q4_K_ref'}[qtype]
getattr(lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
getattr(lib, fn)(ctypes.addressof(src), ctypes.addressof(dst), n)
open(out_path, 'wb').write(bytes(dst))
