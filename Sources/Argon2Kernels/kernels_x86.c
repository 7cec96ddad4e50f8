// Argon2's compression function G (RFC 9106, section 3.5) with AVX2 and AVX-512F intrinsics.
//
// G works on a 1 KiB block R = X ^ Y seen as an 8x8 matrix of 128-bit registers: the BLAKE2b round P
// (with BlaMka's multiply-add) runs on each row, then on each column, and the result Z is XORed with R.
// A row is 16 words forming one BLAKE2b 4x4 state; a column takes words 2j and 2j+1 of every row.
//
// Every function carries its own target attribute, so this file builds without -mavx2 / -march flags and the
// rest of the binary stays baseline x86-64; gh_argon2_cpu_supports() tells which of them may be called.

#include "Argon2Kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

// ---------------------------------------------------------------------------------------------------------
// Dispatch support: CPUID feature bits plus the register state the OS saves (XCR0).

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

int gh_argon2_cpu_supports(int kernel) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0;  // SSE and AVX (YMM upper halves) state enabled
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    switch (kernel) {
    case GH_ARGON2_KERNEL_AVX2:
        return (ebx >> 5) & 1;
    case GH_ARGON2_KERNEL_AVX512F:
        // Opmask, ZMM0-15 upper halves and ZMM16-31 state enabled, too.
        return ((ebx >> 16) & 1) && (xcr0 & 0xE6) == 0xE6;
    default:
        return 0;
    }
}

// ---------------------------------------------------------------------------------------------------------
// AVX2: four 64-bit words per register.

#define AVX2 __attribute__((target("avx2"), always_inline)) static inline

AVX2 __m256i blamka2(__m256i x, __m256i y) {
    const __m256i product = _mm256_mul_epu32(x, y);  // low 32 bits of each word, multiplied to 64 bits
    return _mm256_add_epi64(_mm256_add_epi64(x, y), _mm256_add_epi64(product, product));
}

AVX2 __m256i rotr32_2(__m256i x) { return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)); }

AVX2 __m256i rotr24_2(__m256i x) {
    const __m256i bytes = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10,
                                           3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    return _mm256_shuffle_epi8(x, bytes);
}

AVX2 __m256i rotr16_2(__m256i x) {
    const __m256i bytes = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9,
                                           2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
    return _mm256_shuffle_epi8(x, bytes);
}

AVX2 __m256i rotr63_2(__m256i x) { return _mm256_xor_si256(_mm256_srli_epi64(x, 63), _mm256_add_epi64(x, x)); }

// GB of RFC 9106 on two independent 4x4 states at once (lane-wise), interleaved step by step so the two
// dependency chains overlap.
#define GB2_AVX2(a0, b0, c0, d0, a1, b1, c1, d1)                                                                \
    do {                                                                                                       \
        a0 = blamka2(a0, b0); a1 = blamka2(a1, b1);                                                            \
        d0 = rotr32_2(_mm256_xor_si256(d0, a0)); d1 = rotr32_2(_mm256_xor_si256(d1, a1));                      \
        c0 = blamka2(c0, d0); c1 = blamka2(c1, d1);                                                            \
        b0 = rotr24_2(_mm256_xor_si256(b0, c0)); b1 = rotr24_2(_mm256_xor_si256(b1, c1));                      \
        a0 = blamka2(a0, b0); a1 = blamka2(a1, b1);                                                            \
        d0 = rotr16_2(_mm256_xor_si256(d0, a0)); d1 = rotr16_2(_mm256_xor_si256(d1, a1));                      \
        c0 = blamka2(c0, d0); c1 = blamka2(c1, d1);                                                            \
        b0 = rotr63_2(_mm256_xor_si256(b0, c0)); b1 = rotr63_2(_mm256_xor_si256(b1, c1));                      \
    } while (0)

// Row states: a, b, c, d hold words 0-3, 4-7, 8-11, 12-15 of one row; the diagonal step rotates the lanes of
// b, c and d by one, two and three.
#define DIAG_ROW_AVX2(b, c, d)                                                                                 \
    do {                                                                                                       \
        b = _mm256_permute4x64_epi64(b, _MM_SHUFFLE(0, 3, 2, 1));                                              \
        c = _mm256_permute4x64_epi64(c, _MM_SHUFFLE(1, 0, 3, 2));                                              \
        d = _mm256_permute4x64_epi64(d, _MM_SHUFFLE(2, 1, 0, 3));                                              \
    } while (0)

#define UNDIAG_ROW_AVX2(b, c, d)                                                                               \
    do {                                                                                                       \
        b = _mm256_permute4x64_epi64(b, _MM_SHUFFLE(2, 1, 0, 3));                                              \
        c = _mm256_permute4x64_epi64(c, _MM_SHUFFLE(1, 0, 3, 2));                                              \
        d = _mm256_permute4x64_epi64(d, _MM_SHUFFLE(0, 3, 2, 1));                                              \
    } while (0)

// Column states, two columns at a time: l0..l7 hold words 4k..4k+3 of rows 0..7, so each 128-bit half of l_r
// is one column's pair from row r. For column 2k (low halves) and 2k+1 (high halves) the 4x4 state is
// a = (l0, l1), b = (l2, l3), c = (l4, l5), d = (l6, l7), pair by pair: the column step of GB is lane-wise
// on (l0, l2, l4, l6) and (l1, l3, l5, l7). For the diagonal step b moves by one word (a 64-bit shift across
// the l2/l3 pair within each 128-bit half: alignr), c by two (swap l4 and l5), d by three.
#define ALIGNR64_2(hi, lo) _mm256_alignr_epi8(hi, lo, 8)  // per 128-bit half: (lo.high word, hi.low word)

AVX2 void column_round_avx2(__m256i *l) {
    __m256i a0 = l[0], a1 = l[1], b0 = l[2], b1 = l[3], c0 = l[4], c1 = l[5], d0 = l[6], d1 = l[7];
    GB2_AVX2(a0, b0, c0, d0, a1, b1, c1, d1);
    __m256i e0 = ALIGNR64_2(b1, b0), e1 = ALIGNR64_2(b0, b1);
    __m256i f0 = c1, f1 = c0;
    __m256i g0 = ALIGNR64_2(d0, d1), g1 = ALIGNR64_2(d1, d0);
    GB2_AVX2(a0, e0, f0, g0, a1, e1, f1, g1);
    l[0] = a0;
    l[1] = a1;
    l[2] = ALIGNR64_2(e0, e1);
    l[3] = ALIGNR64_2(e1, e0);
    l[4] = f1;
    l[5] = f0;
    l[6] = ALIGNR64_2(g1, g0);
    l[7] = ALIGNR64_2(g0, g1);
}

AVX2 void fill_block_avx2(const uint64_t *x, const uint64_t *y, uint64_t *out, const int xor_into) {
    __m256i state[32] __attribute__((aligned(32)));
    // Rows, two at a time: state = P(row of R), R = x ^ y.
    for (int r = 0; r < 8; r += 2) {
        __m256i v[8];
        for (int i = 0; i < 8; i++) {
            v[i] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + 16 * r + 4 * i)),
                                    _mm256_loadu_si256((const __m256i *)(y + 16 * r + 4 * i)));
        }
        GB2_AVX2(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        DIAG_ROW_AVX2(v[1], v[2], v[3]);
        DIAG_ROW_AVX2(v[5], v[6], v[7]);
        GB2_AVX2(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        UNDIAG_ROW_AVX2(v[1], v[2], v[3]);
        UNDIAG_ROW_AVX2(v[5], v[6], v[7]);
        for (int i = 0; i < 8; i++) state[4 * r + i] = v[i];
    }
    // Columns, two at a time, then Z ^ R (^ out).
    for (int k = 0; k < 4; k++) {
        __m256i l[8];
        for (int r = 0; r < 8; r++) l[r] = state[4 * r + k];
        column_round_avx2(l);
        for (int r = 0; r < 8; r++) {
            const int word = 16 * r + 4 * k;
            __m256i value = _mm256_xor_si256(l[r], _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + word)),
                                                                    _mm256_loadu_si256((const __m256i *)(y + word))));
            if (xor_into) value = _mm256_xor_si256(value, _mm256_loadu_si256((const __m256i *)(out + word)));
            _mm256_storeu_si256((__m256i *)(out + word), value);
        }
    }
}

__attribute__((target("avx2"))) void gh_argon2_fill_block_avx2(const uint64_t *x, const uint64_t *y, uint64_t *out,
                                                                int xor_into) {
    // Two copies with a constant flag, so the common first pass has no extra loads.
    if (xor_into) {
        fill_block_avx2(x, y, out, 1);
    } else {
        fill_block_avx2(x, y, out, 0);
    }
}

// ---------------------------------------------------------------------------------------------------------
// AVX-512F: eight words per register, the whole block in sixteen registers.

#define AVX512 __attribute__((target("avx512f"), always_inline)) static inline

AVX512 __m512i blamka5(__m512i x, __m512i y) {
    const __m512i product = _mm512_mul_epu32(x, y);
    return _mm512_add_epi64(_mm512_add_epi64(x, y), _mm512_add_epi64(product, product));
}

#define GB2_AVX512(a0, b0, c0, d0, a1, b1, c1, d1)                                                              \
    do {                                                                                                       \
        a0 = blamka5(a0, b0); a1 = blamka5(a1, b1);                                                            \
        d0 = _mm512_ror_epi64(_mm512_xor_si512(d0, a0), 32); d1 = _mm512_ror_epi64(_mm512_xor_si512(d1, a1), 32); \
        c0 = blamka5(c0, d0); c1 = blamka5(c1, d1);                                                            \
        b0 = _mm512_ror_epi64(_mm512_xor_si512(b0, c0), 24); b1 = _mm512_ror_epi64(_mm512_xor_si512(b1, c1), 24); \
        a0 = blamka5(a0, b0); a1 = blamka5(a1, b1);                                                            \
        d0 = _mm512_ror_epi64(_mm512_xor_si512(d0, a0), 16); d1 = _mm512_ror_epi64(_mm512_xor_si512(d1, a1), 16); \
        c0 = blamka5(c0, d0); c1 = blamka5(c1, d1);                                                            \
        b0 = _mm512_ror_epi64(_mm512_xor_si512(b0, c0), 63); b1 = _mm512_ror_epi64(_mm512_xor_si512(b1, c1), 63); \
    } while (0)

// Per 128-bit quarter: (lo.high word, hi.low word), like AVX2's alignr by 8 bytes (AVX-512F has no per-lane
// byte alignr, that is AVX-512BW): take the low words of hi and the high words of lo, then swap each pair.
AVX512 __m512i alignr64_5(__m512i hi, __m512i lo) {
    return _mm512_shuffle_epi32(_mm512_mask_blend_epi64(0x55, lo, hi), _MM_PERM_BADC);
}

// Rows r and r+1 (natural layout: q0 = a_r b_r, q1 = c_r d_r, q2 = a_r+1 b_r+1, q3 = c_r+1 d_r+1) regrouped
// as a = (a_r, a_r+1) and so on, one 4x4 state in each 256-bit half; the diagonal step rotates within halves.
AVX512 void row_pair_round_avx512(__m512i *q0, __m512i *q1, __m512i *q2, __m512i *q3, __m512i *q4, __m512i *q5,
                                  __m512i *q6, __m512i *q7) {
    __m512i a0 = _mm512_shuffle_i64x2(*q0, *q2, _MM_SHUFFLE(1, 0, 1, 0));
    __m512i b0 = _mm512_shuffle_i64x2(*q0, *q2, _MM_SHUFFLE(3, 2, 3, 2));
    __m512i c0 = _mm512_shuffle_i64x2(*q1, *q3, _MM_SHUFFLE(1, 0, 1, 0));
    __m512i d0 = _mm512_shuffle_i64x2(*q1, *q3, _MM_SHUFFLE(3, 2, 3, 2));
    __m512i a1 = _mm512_shuffle_i64x2(*q4, *q6, _MM_SHUFFLE(1, 0, 1, 0));
    __m512i b1 = _mm512_shuffle_i64x2(*q4, *q6, _MM_SHUFFLE(3, 2, 3, 2));
    __m512i c1 = _mm512_shuffle_i64x2(*q5, *q7, _MM_SHUFFLE(1, 0, 1, 0));
    __m512i d1 = _mm512_shuffle_i64x2(*q5, *q7, _MM_SHUFFLE(3, 2, 3, 2));
    GB2_AVX512(a0, b0, c0, d0, a1, b1, c1, d1);
    b0 = _mm512_permutex_epi64(b0, _MM_SHUFFLE(0, 3, 2, 1));
    c0 = _mm512_permutex_epi64(c0, _MM_SHUFFLE(1, 0, 3, 2));
    d0 = _mm512_permutex_epi64(d0, _MM_SHUFFLE(2, 1, 0, 3));
    b1 = _mm512_permutex_epi64(b1, _MM_SHUFFLE(0, 3, 2, 1));
    c1 = _mm512_permutex_epi64(c1, _MM_SHUFFLE(1, 0, 3, 2));
    d1 = _mm512_permutex_epi64(d1, _MM_SHUFFLE(2, 1, 0, 3));
    GB2_AVX512(a0, b0, c0, d0, a1, b1, c1, d1);
    b0 = _mm512_permutex_epi64(b0, _MM_SHUFFLE(2, 1, 0, 3));
    c0 = _mm512_permutex_epi64(c0, _MM_SHUFFLE(1, 0, 3, 2));
    d0 = _mm512_permutex_epi64(d0, _MM_SHUFFLE(0, 3, 2, 1));
    b1 = _mm512_permutex_epi64(b1, _MM_SHUFFLE(2, 1, 0, 3));
    c1 = _mm512_permutex_epi64(c1, _MM_SHUFFLE(1, 0, 3, 2));
    d1 = _mm512_permutex_epi64(d1, _MM_SHUFFLE(0, 3, 2, 1));
    *q0 = _mm512_shuffle_i64x2(a0, b0, _MM_SHUFFLE(1, 0, 1, 0));
    *q2 = _mm512_shuffle_i64x2(a0, b0, _MM_SHUFFLE(3, 2, 3, 2));
    *q1 = _mm512_shuffle_i64x2(c0, d0, _MM_SHUFFLE(1, 0, 1, 0));
    *q3 = _mm512_shuffle_i64x2(c0, d0, _MM_SHUFFLE(3, 2, 3, 2));
    *q4 = _mm512_shuffle_i64x2(a1, b1, _MM_SHUFFLE(1, 0, 1, 0));
    *q6 = _mm512_shuffle_i64x2(a1, b1, _MM_SHUFFLE(3, 2, 3, 2));
    *q5 = _mm512_shuffle_i64x2(c1, d1, _MM_SHUFFLE(1, 0, 1, 0));
    *q7 = _mm512_shuffle_i64x2(c1, d1, _MM_SHUFFLE(3, 2, 3, 2));
}

// Four columns at a time, as for AVX2 but with four column pairs per register: l_r = words 8h..8h+7 of row r.
AVX512 void column_round_avx512(__m512i *l0, __m512i *l1, __m512i *l2, __m512i *l3, __m512i *l4, __m512i *l5,
                                __m512i *l6, __m512i *l7) {
    __m512i a0 = *l0, a1 = *l1, b0 = *l2, b1 = *l3, c0 = *l4, c1 = *l5, d0 = *l6, d1 = *l7;
    GB2_AVX512(a0, b0, c0, d0, a1, b1, c1, d1);
    __m512i e0 = alignr64_5(b1, b0), e1 = alignr64_5(b0, b1);
    __m512i f0 = c1, f1 = c0;
    __m512i g0 = alignr64_5(d0, d1), g1 = alignr64_5(d1, d0);
    GB2_AVX512(a0, e0, f0, g0, a1, e1, f1, g1);
    *l0 = a0;
    *l1 = a1;
    *l2 = alignr64_5(e0, e1);
    *l3 = alignr64_5(e1, e0);
    *l4 = f1;
    *l5 = f0;
    *l6 = alignr64_5(g1, g0);
    *l7 = alignr64_5(g0, g1);
}

AVX512 void fill_block_avx512f(const uint64_t *x, const uint64_t *y, uint64_t *out, const int xor_into) {
    __m512i r[16], q[16];
    for (int i = 0; i < 16; i++) {
        r[i] = _mm512_xor_si512(_mm512_loadu_si512((const void *)(x + 8 * i)),
                                _mm512_loadu_si512((const void *)(y + 8 * i)));
        q[i] = r[i];
    }
    // q[2r], q[2r + 1]: row r. Rows (0, 1) with (2, 3), then (4, 5) with (6, 7).
    row_pair_round_avx512(&q[0], &q[1], &q[2], &q[3], &q[4], &q[5], &q[6], &q[7]);
    row_pair_round_avx512(&q[8], &q[9], &q[10], &q[11], &q[12], &q[13], &q[14], &q[15]);
    // Columns 0-3 are the low registers of the rows, 4-7 the high ones.
    column_round_avx512(&q[0], &q[2], &q[4], &q[6], &q[8], &q[10], &q[12], &q[14]);
    column_round_avx512(&q[1], &q[3], &q[5], &q[7], &q[9], &q[11], &q[13], &q[15]);
    for (int i = 0; i < 16; i++) {
        __m512i value = _mm512_xor_si512(q[i], r[i]);
        if (xor_into) value = _mm512_xor_si512(value, _mm512_loadu_si512((const void *)(out + 8 * i)));
        _mm512_storeu_si512((void *)(out + 8 * i), value);
    }
}

__attribute__((target("avx512f"))) void gh_argon2_fill_block_avx512f(const uint64_t *x, const uint64_t *y,
                                                                      uint64_t *out, int xor_into) {
    if (xor_into) {
        fill_block_avx512f(x, y, out, 1);
    } else {
        fill_block_avx512f(x, y, out, 0);
    }
}

#else

// Not x86-64: no vector kernel is ever chosen; the Swift portable kernel runs instead.
#include <stdlib.h>

int gh_argon2_cpu_supports(int kernel) {
    (void)kernel;
    return 0;
}

void gh_argon2_fill_block_avx2(const uint64_t *x, const uint64_t *y, uint64_t *out, int xor_into) {
    (void)x, (void)y, (void)out, (void)xor_into;
    abort();
}

void gh_argon2_fill_block_avx512f(const uint64_t *x, const uint64_t *y, uint64_t *out, int xor_into) {
    (void)x, (void)y, (void)out, (void)xor_into;
    abort();
}

#endif
