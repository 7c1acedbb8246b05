// Force-included (gcc -include) into ggml-cpu/amx/mmq.cpp only. A fix for a GCC bug, not a change to ggml.
//
// GCC's <amxtileintrin.h> (seen in GCC 12) declares the operand of `ldtilecfg` as an 8-byte memory input:
//   __asm__ volatile ("ldtilecfg\t%X0" :: "m" (*((const void **)__config)));
// so the optimizer treats the other 56 bytes of the 64-byte tile configuration as never read and drops
// the stores to them: ggml's ggml_tile_config_init() then loads a configuration with palette 1 and no
// rows/columns, and the first `tilezero` raises #UD (SIGILL) on every AMX machine. Observed with
// -march=native on a Sapphire Rapids class CPU: the Q8_0 taps test died with SIGILL in
// tinygemm_kernel_amx.
//
// The macro below replaces the intrinsic with the same instruction and the whole 64 bytes as input.
// Its test: test/native/taps-oracle.test.ts, "Q8_0 ... (AMX kernels where the CPU has them)".
#pragma once

#include <immintrin.h>

#if defined(__AMX_TILE__) && defined(__GNUC__) && !defined(__clang__)
static inline void soo_tile_loadconfig(const void * config) {
    __asm__ volatile("ldtilecfg\t%X0" ::"m"(*(const unsigned char(*)[64]) config));
}
#undef _tile_loadconfig
#define _tile_loadconfig(config) soo_tile_loadconfig(config)
#endif
