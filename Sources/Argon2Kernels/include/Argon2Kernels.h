#ifndef GATEHOUSE_ARGON2_KERNELS_H
#define GATEHOUSE_ARGON2_KERNELS_H

/// Argon2 block functions written with x86-64 vector intrinsics, each compiled for its own instruction set
/// with a per-function target attribute, so the library as a whole still runs on any x86-64 CPU. Callers
/// check gh_argon2_cpu_supports() once and only then call the matching function.
///
/// Every function computes out = G(x, y), or out ^= G(x, y) when xor_into is non-zero (Argon2 version 0x13
/// after the first pass), on 1 KiB blocks of 128 little-endian 64-bit words. out may be the same block as
/// x or y. Blocks need 8-byte alignment (64 is best).

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets with a kernel; the values match Argon2.Kernel in Swift.
enum {
    GH_ARGON2_KERNEL_AVX2 = 1,
    GH_ARGON2_KERNEL_AVX512F = 2,
};

/// 1 when this CPU and operating system run the kernel (CPUID and the XSAVE-enabled register state),
/// 0 otherwise, always 0 on non-x86-64 builds.
int gh_argon2_cpu_supports(int kernel);

/// AVX2: call only when gh_argon2_cpu_supports(GH_ARGON2_KERNEL_AVX2).
void gh_argon2_fill_block_avx2(const uint64_t *x, const uint64_t *y, uint64_t *out, int xor_into);

/// AVX-512F: call only when gh_argon2_cpu_supports(GH_ARGON2_KERNEL_AVX512F).
void gh_argon2_fill_block_avx512f(const uint64_t *x, const uint64_t *y, uint64_t *out, int xor_into);

#ifdef __cplusplus
}
#endif

#endif
