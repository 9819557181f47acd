/*
 * Auris's native matrix × few-vectors kernels for decode (weights streamed once from memory), called from Java
 * through the FFM API (dev.auris.nn.NativeKernels). One source, several instruction sets: each kernel is compiled
 * for AVX-512 (+BF16) and AVX2 by target attributes, and auris_isa() tells Java which the CPU runs, so one
 * build runs on any x86-64 (no -march=native).
 *
 * Shapes (row-major): x [m, k]; w [n, k]; y [m, n]; a call computes rows r0..r1-1 of W for all m vectors,
 * so callers split the rows over threads. Scales s [n, k/group] float32 (group = 32, or k for one a row); int4's are
 * float16, as GGUF's Q4_0 stores them (18 bytes a block of 32, not 20: decode streams what it reads).
 *
 * Numerics: bf16 × bf16 products are exact in float32 and summed in float32 (AVX512-BF16's vdpbf16ps, or
 * widened floats and FMAs); int8 weights are widened to float32 and multiplied by float32 activations, so
 * the result equals float32 math on the dequantized weights up to summation order. The VNNI kernels (last
 * section) instead take activations quantized to int8 per 32-block, as llama.cpp's Q8_0 / Q4_0 dot products do:
 * integer products summed exactly, then scaled in float32.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define ISA_AVX2 1
#define ISA_AVX512 2
#define ISA_AVX512BF16 4
#define ISA_AVX512VNNI 8

int auris_isa(void) {
    __builtin_cpu_init();
    int isa = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) isa |= ISA_AVX2; /* F16C: int4's scales */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) isa |= ISA_AVX512;
    if ((isa & ISA_AVX512) && __builtin_cpu_supports("avx512bf16")) isa |= ISA_AVX512BF16;
    if ((isa & ISA_AVX512) && __builtin_cpu_supports("avx512vnni")) isa |= ISA_AVX512VNNI;
    return isa;
}

/* An IEEE float16 (int4's block scales) as float32, exactly: normals, subnormals, zeros, infinities and NaNs. */
static inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t) (h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) bits = sign | 0x7f800000u | man << 13;
    else if (exp != 0) bits = sign | (exp + 112) << 23 | man << 13;
    else {
        float f = (float) man * 0x1p-24f;                                  /* zero or subnormal */
        return sign ? -f : f;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t) h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* float32 → bf16, round to nearest even; NaN stays a quiet NaN (as c10::BFloat16). */
static inline uint16_t f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((u >> 16) | 0x40);
    return (uint16_t) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline void store(float v, int bf16_out, void *y, long i) {
    if (bf16_out) ((uint16_t *) y)[i] = f32_to_bf16(v);
    else ((float *) y)[i] = v;
}

/* ---------- bf16 weights × bf16 activations ---------- */

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void bf16_avx512bf16(const uint16_t *x, int m, const uint16_t *w, int k, void *y, int n, int r0, int r1, int bf16_out) {
    int full = k / 32 * 32;
    __mmask32 tail = (__mmask32) ((1ull << (k - full)) - 1);
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
        const uint16_t *w0 = w + (long) r * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        for (int i = 0; i < m; i++) {
            const uint16_t *xi = x + (long) i * k;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < full; j += 32) {
                __m512bh xv = (__m512bh) _mm512_loadu_si512(xi + j);
                a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_loadu_si512(w0 + j), xv);
                a1 = _mm512_dpbf16_ps(a1, (__m512bh) _mm512_loadu_si512(w1 + j), xv);
                a2 = _mm512_dpbf16_ps(a2, (__m512bh) _mm512_loadu_si512(w2 + j), xv);
                a3 = _mm512_dpbf16_ps(a3, (__m512bh) _mm512_loadu_si512(w3 + j), xv);
            }
            if (tail) {
                __m512bh xv = (__m512bh) _mm512_maskz_loadu_epi16(tail, xi + full);
                a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_maskz_loadu_epi16(tail, w0 + full), xv);
                a1 = _mm512_dpbf16_ps(a1, (__m512bh) _mm512_maskz_loadu_epi16(tail, w1 + full), xv);
                a2 = _mm512_dpbf16_ps(a2, (__m512bh) _mm512_maskz_loadu_epi16(tail, w2 + full), xv);
                a3 = _mm512_dpbf16_ps(a3, (__m512bh) _mm512_maskz_loadu_epi16(tail, w3 + full), xv);
            }
            long o = (long) i * n + r;
            store(_mm512_reduce_add_ps(a0), bf16_out, y, o);
            store(_mm512_reduce_add_ps(a1), bf16_out, y, o + 1);
            store(_mm512_reduce_add_ps(a2), bf16_out, y, o + 2);
            store(_mm512_reduce_add_ps(a3), bf16_out, y, o + 3);
        }
    }
    for (; r < r1; r++) {
        const uint16_t *w0 = w + (long) r * k;
        for (int i = 0; i < m; i++) {
            const uint16_t *xi = x + (long) i * k;
            __m512 a0 = _mm512_setzero_ps();
            for (int j = 0; j < full; j += 32)
                a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_loadu_si512(w0 + j), (__m512bh) _mm512_loadu_si512(xi + j));
            if (tail)
                a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_maskz_loadu_epi16(tail, w0 + full), (__m512bh) _mm512_maskz_loadu_epi16(tail, xi + full));
            store(_mm512_reduce_add_ps(a0), bf16_out, y, (long) i * n + r);
        }
    }
}

__attribute__((target("avx2,fma")))
static inline __m256 widen_bf16_avx2(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *) p)), 16));
}

__attribute__((target("avx2,fma")))
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Without AVX512-BF16 (AVX2 or AVX-512F): both sides widened to float32 (exact), FMAs in 8 lanes. */
__attribute__((target("avx2,fma")))
static void bf16_avx2(const uint16_t *x, int m, const uint16_t *w, int k, void *y, int n, int r0, int r1, int bf16_out) {
    int full = k / 16 * 16;
    for (int r = r0; r < r1; r++) {
        const uint16_t *wr = w + (long) r * k;
        for (int i = 0; i < m; i++) {
            const uint16_t *xi = x + (long) i * k;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            for (int j = 0; j < full; j += 16) {
                a0 = _mm256_fmadd_ps(widen_bf16_avx2(wr + j), widen_bf16_avx2(xi + j), a0);
                a1 = _mm256_fmadd_ps(widen_bf16_avx2(wr + j + 8), widen_bf16_avx2(xi + j + 8), a1);
            }
            float v = hsum256(_mm256_add_ps(a0, a1));
            for (int j = full; j < k; j++) v += bf16_to_f32(wr[j]) * bf16_to_f32(xi[j]);
            store(v, bf16_out, y, (long) i * n + r);
        }
    }
}

/* y = x Wᵀ for bf16 x, W; y bf16 (bf16_out != 0) or float32. Returns 0, or -1 where the CPU has no kernel. */
int auris_gemv_bf16(const uint16_t *x, int m, const uint16_t *w, int k, void *y, int n, int r0, int r1, int bf16_out) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (isa & ISA_AVX512BF16) bf16_avx512bf16(x, m, w, k, y, n, r0, r1, bf16_out);
    else if (isa & ISA_AVX2) bf16_avx2(x, m, w, k, y, n, r0, r1, bf16_out);
    else return -1;
    return 0;
}

/* ---------- int8 weights (scale per group) × float32 activations ---------- */

__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline __m512 widen_i8_avx512(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) p)));
}

/* Σ over one 32-block of q · x, as 16 float lanes. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline __m512 block_dot_q8_avx512(const int8_t *q, const float *x) {
    __m512 d = _mm512_mul_ps(widen_i8_avx512(q), _mm512_loadu_ps(x));
    return _mm512_fmadd_ps(widen_i8_avx512(q + 16), _mm512_loadu_ps(x + 16), d);
}

/* group 32: Σ_g s_g · (Σ_32 q · x); group k (k % 64 == 0): s · Σ q · x. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void q8_avx512(const float *x, int m, const int8_t *q, const float *s, int group, int k, float *y, int n, int r0, int r1) {
    int groups = k / group;
    for (int r = r0; r < r1; r++) {
        const int8_t *qr = q + (long) r * k;
        const float *sr = s + (long) r * groups;
        for (int i = 0; i < m; i++) {
            const float *xi = x + (long) i * k;
            float v;
            if (group == 32) {
                __m512 e = _mm512_setzero_ps(), o = e;
                int g = 0;
                for (; g + 1 < groups; g += 2) {                                   /* two blocks in flight */
                    e = _mm512_fmadd_ps(block_dot_q8_avx512(qr + 32 * g, xi + 32 * g), _mm512_set1_ps(sr[g]), e);
                    o = _mm512_fmadd_ps(block_dot_q8_avx512(qr + 32 * g + 32, xi + 32 * g + 32), _mm512_set1_ps(sr[g + 1]), o);
                }
                if (g < groups) e = _mm512_fmadd_ps(block_dot_q8_avx512(qr + 32 * g, xi + 32 * g), _mm512_set1_ps(sr[g]), e);
                v = _mm512_reduce_add_ps(_mm512_add_ps(e, o));
            } else {
                __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < k; j += 64) {
                    a0 = _mm512_fmadd_ps(widen_i8_avx512(qr + j), _mm512_loadu_ps(xi + j), a0);
                    a1 = _mm512_fmadd_ps(widen_i8_avx512(qr + j + 16), _mm512_loadu_ps(xi + j + 16), a1);
                    a2 = _mm512_fmadd_ps(widen_i8_avx512(qr + j + 32), _mm512_loadu_ps(xi + j + 32), a2);
                    a3 = _mm512_fmadd_ps(widen_i8_avx512(qr + j + 48), _mm512_loadu_ps(xi + j + 48), a3);
                }
                v = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))) * sr[0];
            }
            y[(long) i * n + r] = v;
        }
    }
}

__attribute__((target("avx2,fma")))
static inline __m256 widen_i8_avx2(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *) p)));
}

__attribute__((target("avx2,fma")))
static void q8_avx2(const float *x, int m, const int8_t *q, const float *s, int group, int k, float *y, int n, int r0, int r1) {
    int groups = k / group;
    for (int r = r0; r < r1; r++) {
        const int8_t *qr = q + (long) r * k;
        const float *sr = s + (long) r * groups;
        for (int i = 0; i < m; i++) {
            const float *xi = x + (long) i * k;
            __m256 acc = _mm256_setzero_ps();
            for (int g = 0; g < groups; g++) {
                __m256 b0 = _mm256_setzero_ps(), b1 = b0;
                for (int j = g * group; j < (g + 1) * group; j += 16) {
                    b0 = _mm256_fmadd_ps(widen_i8_avx2(qr + j), _mm256_loadu_ps(xi + j), b0);
                    b1 = _mm256_fmadd_ps(widen_i8_avx2(qr + j + 8), _mm256_loadu_ps(xi + j + 8), b1);
                }
                acc = _mm256_fmadd_ps(_mm256_add_ps(b0, b1), _mm256_set1_ps(sr[g]), acc);
            }
            y[(long) i * n + r] = hsum256(acc);
        }
    }
}

/* y [m, n] float32 = x W ᵀ, W = q · s per group (32, or k with k % 64 == 0). Returns 0, or -1 (no kernel / shape). */
int auris_gemv_q8(const float *x, int m, const int8_t *q, const float *s, int group, int k, float *y, int n, int r0, int r1) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (!(group == 32 && k % 32 == 0) && !(group == k && k % 64 == 0)) return -1;
    if (isa & ISA_AVX512) q8_avx512(x, m, q, s, group, k, y, n, r0, r1);
    else if (isa & ISA_AVX2) q8_avx2(x, m, q, s, group, k, y, n, r0, r1);
    else return -1;
    return 0;
}

/* ---------- int4 weights in 32-blocks (GGUF Q4_0's nibble order) × float32 activations ----------
 * p [n, k/2] bytes: block g of a row is 16 bytes, byte j holding element j (low nibble) and j + 16 (high), each
 * stored + 8; s [n, k/32] float16. W[r, 32g + j] = (nibble − 8) · s[r, g]. */

__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline __m512 block_dot_q4_avx512(const uint8_t *p, const float *x) {
    const __m128i low = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    __m128i b = _mm_loadu_si128((const __m128i *) p);
    __m128i lo = _mm_sub_epi8(_mm_and_si128(b, low), eight);
    __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(b, 4), low), eight);
    __m512 d = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo)), _mm512_loadu_ps(x));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi)), _mm512_loadu_ps(x + 16), d);
}

__attribute__((target("avx512f,avx512bw,avx512vl,f16c")))
static void q4_avx512(const float *x, int m, const uint8_t *p, const uint16_t *s, int k, float *y, int n, int r0, int r1) {
    int groups = k / 32;
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = p + (long) r * (k / 2);
        const uint16_t *sr = s + (long) r * groups;
        for (int i = 0; i < m; i++) {
            const float *xi = x + (long) i * k;
            __m512 e = _mm512_setzero_ps(), o = e;
            int g = 0;
            for (; g + 1 < groups; g += 2) {
                e = _mm512_fmadd_ps(block_dot_q4_avx512(pr + 16 * g, xi + 32 * g), _mm512_set1_ps(_cvtsh_ss(sr[g])), e);
                o = _mm512_fmadd_ps(block_dot_q4_avx512(pr + 16 * g + 16, xi + 32 * g + 32), _mm512_set1_ps(_cvtsh_ss(sr[g + 1])), o);
            }
            if (g < groups) e = _mm512_fmadd_ps(block_dot_q4_avx512(pr + 16 * g, xi + 32 * g), _mm512_set1_ps(_cvtsh_ss(sr[g])), e);
            y[(long) i * n + r] = _mm512_reduce_add_ps(_mm512_add_ps(e, o));
        }
    }
}

__attribute__((target("avx2,fma,f16c")))
static void q4_avx2(const float *x, int m, const uint8_t *p, const uint16_t *s, int k, float *y, int n, int r0, int r1) {
    int groups = k / 32;
    const __m128i low = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = p + (long) r * (k / 2);
        const uint16_t *sr = s + (long) r * groups;
        for (int i = 0; i < m; i++) {
            const float *xi = x + (long) i * k;
            __m256 acc = _mm256_setzero_ps();
            for (int g = 0; g < groups; g++) {
                __m128i b = _mm_loadu_si128((const __m128i *) (pr + 16 * g));
                __m128i lo = _mm_sub_epi8(_mm_and_si128(b, low), eight);
                __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(b, 4), low), eight);
                const float *xg = xi + 32 * g;
                __m256 d = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), _mm256_loadu_ps(xg));
                d = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), _mm256_loadu_ps(xg + 8), d);
                d = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), _mm256_loadu_ps(xg + 16), d);
                d = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), _mm256_loadu_ps(xg + 24), d);
                acc = _mm256_fmadd_ps(d, _mm256_set1_ps(_cvtsh_ss(sr[g])), acc);
            }
            y[(long) i * n + r] = hsum256(acc);
        }
    }
}

/* y [m, n] float32 = x W ᵀ for int4 W in 32-blocks (k % 32 == 0). Returns 0, or -1 (no kernel / shape). */
int auris_gemv_q4(const float *x, int m, const uint8_t *p, const uint16_t *s, int k, float *y, int n, int r0, int r1) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (k % 32 != 0) return -1;
    if (isa & ISA_AVX512) q4_avx512(x, m, p, s, k, y, n, r0, r1);
    else if (isa & ISA_AVX2) q4_avx2(x, m, p, s, k, y, n, r0, r1);
    else return -1;
    return 0;
}

/* Rows r0..r1-1 of int4 W as bf16 (bf16_out) or float32 into out [n, k]: a prefill's GEMM operand. Scalar code:
 * the compiler vectorises it, and it runs once per matrix per prefill. */
int auris_dequant_q4(const uint8_t *p, const uint16_t *s, int k, void *out, int r0, int r1, int bf16_out) {
    if (k % 32 != 0) return -1;
    int groups = k / 32;
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = p + (long) r * (k / 2);
        const uint16_t *sr = s + (long) r * groups;
        float row[32];
        for (int g = 0; g < groups; g++) {
            float d = f16_to_f32(sr[g]);
            for (int j = 0; j < 16; j++) {
                row[j] = (float) ((pr[16 * g + j] & 0x0f) - 8) * d;
                row[j + 16] = (float) ((pr[16 * g + j] >> 4) - 8) * d;
            }
            long o = (long) r * k + 32 * g;
            for (int j = 0; j < 32; j++) store(row[j], bf16_out, out, o + j);
        }
    }
    return 0;
}

/* ---------- attention of one new position over a float32 KV cache (a decode step) ----------
 * q [h, hd] float32; k, v: kv heads of s positions each, position stride hd, head stride kv_stride (a cache's
 * capacity · hd); out [h, hd] float32. Query head i reads kv head i / (h / kv) (grouped-query attention).
 * softmax(q kᵀ / √hd) v in float32 with the maximum subtracted, as SDPA's math. Heads h0..h1-1. */
#include <math.h>

__attribute__((target_clones("avx512f", "arch=haswell", "default")))
static void attend1(const float *q, int h, const float *k, const float *v, int kv, int s, long kv_stride, int hd, float *out, float *scores, int h0, int h1) {
    int group = h / kv;
    float scale = 1.0f / sqrtf((float) hd);
    for (int i = h0; i < h1; i++) {
        const float *qi = q + (long) i * hd;
        const float *ki = k + (long) (i / group) * kv_stride, *vi = v + (long) (i / group) * kv_stride;
        float *sc = scores + (long) (i - h0) * s;
        float max = -INFINITY;
        for (int j = 0; j < s; j++) {
            const float *kj = ki + (long) j * hd;
            float d = 0;
            #pragma omp simd reduction(+:d)
            for (int t = 0; t < hd; t++) d += qi[t] * kj[t];
            d *= scale;
            sc[j] = d;
            if (d > max) max = d;
        }
        float sum = 0;
        for (int j = 0; j < s; j++) {
            sc[j] = expf(sc[j] - max);
            sum += sc[j];
        }
        float inv = 1.0f / sum;
        float *oi = out + (long) i * hd;
        for (int t = 0; t < hd; t++) oi[t] = 0;
        for (int j = 0; j < s; j++) {
            const float *vj = vi + (long) j * hd;
            float p = sc[j] * inv;
            #pragma omp simd
            for (int t = 0; t < hd; t++) oi[t] += p * vj[t];
        }
    }
}

/* e^x for x ≤ 0 by AVX-512F (the scalar loop's expf was most of a long context's decode attention): 2^n · p(r),
 * r = x − n ln 2, p degree 6, float32 within 2 ulp; x below −87 gives e^−87 (≈ 0 beside the maximum's e^0). */
__attribute__((target("avx512f")))
static inline __m512 exp_neg16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.3981999507e-3f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* attend1 with AVX-512F for hd % 16 == 0, hd ≤ 256: q's head held in registers, one key's dot product a few FMAs and a
 * reduction, the softmax's exp 16 scores at a time, the weighted sum of V in registers. */
__attribute__((target("avx512f")))
static void attend1_avx512(const float *q, int h, const float *k, const float *v, int kv, int s, long kv_stride, int hd, float *out, float *scores,
                           int h0, int h1) {
    int group = h / kv, nc = hd / 16;
    float scale = 1.0f / sqrtf((float) hd);
    for (int i = h0; i < h1; i++) {
        const float *qi = q + (long) i * hd;
        const float *ki = k + (long) (i / group) * kv_stride, *vi = v + (long) (i / group) * kv_stride;
        float *sc = scores + (long) (i - h0) * s;
        __m512 qv[16];
        for (int c = 0; c < nc; c++) qv[c] = _mm512_mul_ps(_mm512_loadu_ps(qi + 16 * c), _mm512_set1_ps(scale));
        __m512 mx = _mm512_set1_ps(-INFINITY);
        int j = 0;
        for (; j + 16 <= s; j += 16) {                  /* 16 keys' scores, then one vector of them */
            float d16[16];
            for (int t = 0; t < 16; t++) {
                const float *kj = ki + (long) (j + t) * hd;
                __m512 acc = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kj));
                for (int c = 1; c < nc; c++) acc = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(kj + 16 * c), acc);
                d16[t] = _mm512_reduce_add_ps(acc);
            }
            __m512 d = _mm512_loadu_ps(d16);
            _mm512_storeu_ps(sc + j, d);
            mx = _mm512_max_ps(mx, d);
        }
        float max = _mm512_reduce_max_ps(mx);
        for (; j < s; j++) {
            const float *kj = ki + (long) j * hd;
            __m512 acc = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kj));
            for (int c = 1; c < nc; c++) acc = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(kj + 16 * c), acc);
            sc[j] = _mm512_reduce_add_ps(acc);
            if (sc[j] > max) max = sc[j];
        }
        __m512 sum = _mm512_setzero_ps(), m = _mm512_set1_ps(max);
        for (j = 0; j + 16 <= s; j += 16) {
            __m512 e = exp_neg16(_mm512_sub_ps(_mm512_loadu_ps(sc + j), m));
            _mm512_storeu_ps(sc + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (j < s) {
            __mmask16 tail = (__mmask16) ((1u << (s - j)) - 1);
            __m512 e = exp_neg16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, sc + j), m));
            _mm512_mask_storeu_ps(sc + j, tail, e);
            sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(tail, e));
        }
        float inv = 1.0f / _mm512_reduce_add_ps(sum);
        __m512 o[16];
        for (int c = 0; c < nc; c++) o[c] = _mm512_setzero_ps();
        for (j = 0; j < s; j++) {
            const float *vj = vi + (long) j * hd;
            __m512 p = _mm512_set1_ps(sc[j]);
            for (int c = 0; c < nc; c++) o[c] = _mm512_fmadd_ps(p, _mm512_loadu_ps(vj + 16 * c), o[c]);
        }
        float *oi = out + (long) i * hd;
        for (int c = 0; c < nc; c++) _mm512_storeu_ps(oi + 16 * c, _mm512_mul_ps(o[c], _mm512_set1_ps(inv)));
    }
}

int auris_attend1(const float *q, int h, const float *k, const float *v, int kv, int s, long kv_stride, int hd, float *out, float *scores, int h0, int h1) {
    if (kv < 1 || h % kv != 0 || s < 1 || hd < 1 || h0 < 0 || h1 > h) return -1;
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if ((isa & ISA_AVX512) && hd % 16 == 0 && hd <= 256) attend1_avx512(q, h, k, v, kv, s, kv_stride, hd, out, scores, h0, h1);
    else attend1(q, h, k, v, kv, s, kv_stride, hd, out, scores, h0, h1);
    return 0;
}

/* ---------- int8 activations × int8 / int4 weights by AVX512-VNNI (vpdpbusd), llama.cpp's Q8_0 · Q8_0 and Q4_0 · Q8_0 ----------
 * x [m, k] float32 is quantized once per call (auris_quantize_x8) by llama.cpp's quantize_row_q8_0 rule: per 32-block,
 * d = max|x| / 127, xq = round-to-nearest-even(x / d) (0 where d = 0; a block with a NaN or infinity gets d = NaN, so its
 * outputs are NaN as float math's would be). Kept per vector i, with P = k / 64 pairs of blocks:
 *   xq [m, k] int8, in Q4_0's nibble order: each chunk of 4 blocks (128 values; the last chunk 2 blocks where k % 128
 *      == 64) holds the blocks' first halves (values 0-15 of each block, block after block), then their second halves
 *      (16-31), as a 64-byte load of 4 Q4_0 blocks gives them after masking the low nibbles and shifting the high ones;
 *   xa [m, k] uint8 = |xq| in value order; xn [m, P] uint64, bit j of pair p set where value 64p + j is negative;
 *   xd [m, P, 16] float32: the pair's two block scales, each repeated over the 8 dword lanes of its block;
 *   xs [m, k/32, 4] float32: each block's scale repeated over the 4 dword lanes of its 16-byte lane (the int4 kernel);
 *   xc [m, k/32] float32 = −8 · d · Σ xq over the block (Q4's offset: its nibbles are stored + 8).
 * vpdpbusd multiplies unsigned by signed bytes: int8 × int8 is |xq| × (q with xq's sign), int4 × int8 is nibble × xq, and
 * each dword lane sums 4 products exactly (|sums| < 2^31). k % 64 == 0. */

/* Where value j (0-31) of block b goes in a row of xq (Q4_0's nibble order, above). */
static inline long q4_position(int k, int b, int j) {
    int chunk = b / 4, width = (chunk + 1) * 4 <= k / 32 ? 4 : 2;      /* blocks in this chunk: 4, or 2 at a k % 128 == 64 tail */
    return 128L * chunk + (j < 16 ? 0 : 16 * width) + 16 * (b % 4) + (j % 16);
}

int auris_quantize_x8(const float *x, int m, int k, int8_t *xq, uint8_t *xa, uint64_t *xn, float *xd, float *xs, float *xc) {
    if (k % 64 != 0 || m < 1) return -1;
    int blocks = k / 32;
    for (int i = 0; i < m; i++) {
        const float *xi = x + (long) i * k;
        for (int b = 0; b < blocks; b++) {
            const float *xb = xi + 32 * b;
            float amax = 0;
            int nan = 0;
            for (int j = 0; j < 32; j++) {
                amax = fmaxf(amax, fabsf(xb[j]));
                nan |= xb[j] != xb[j];
            }
            float d = amax / 127;                    /* x / d, not x · (1 / d): 1 / d overflows for subnormal d */
            long o = (long) i * k + 32 * b;
            int sum = 0;
            uint64_t neg = 0;
            for (int j = 0; j < 32; j++) {
                int q = d == 0 || nan || isinf(amax) ? 0 : (int) nearbyintf(fminf(127, fmaxf(-127, xb[j] / d)));
                xq[(long) i * k + q4_position(k, b, j)] = (int8_t) q;
                xa[o + j] = (uint8_t) (q < 0 ? -q : q);
                sum += q;
                if (q < 0) neg |= 1ull << j;
            }
            long p = (long) i * (k / 64) + b / 2;
            if (b % 2 == 0) xn[p] = neg; else xn[p] |= neg << 32;
            if (nan || isinf(amax)) d = NAN;         /* the output says so, as float math would */
            for (int j = 0; j < 8; j++) xd[16 * p + 8 * (b % 2) + j] = d;
            for (int j = 0; j < 4; j++) xs[((long) i * blocks + b) * 4 + j] = d;
            xc[(long) i * blocks + b] = -8.0f * d * (float) sum;
        }
    }
    return 0;
}

/* The pair's two weight-block scales s[0], s[1], each over its block's 8 dword lanes. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static inline __m512 pair_scales(const float *s) {
    const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_castpd_ps(_mm_load_sd((const double *) s))));
}

/* y [m, n] = x W ᵀ, W int8 [n, k] with one scale per 32-block (group 32) or per row (group k). */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static void q8x8_vnni(const uint8_t *xa, const uint64_t *xn, const float *xd, int m, const int8_t *q, const float *s, int group, int k,
                      float *y, int n, int r0, int r1) {
    int pairs = k / 64;
    const __m512i zero = _mm512_setzero_si512();
    for (int r = r0; r < r1; r++) {
        const int8_t *qr = q + (long) r * k;
        const float *sr = s + (long) r * (k / group);
        for (int i = 0; i < m; i++) {
            const uint8_t *xai = xa + (long) i * k;
            const uint64_t *xni = xn + (long) i * pairs;
            const float *xdi = xd + (long) i * pairs * 16;
            __m512 e = _mm512_setzero_ps(), o = e;
            int p = 0;
            for (; p + 1 < pairs; p += 2) {                                    /* two pairs in flight */
                __m512i w0 = _mm512_loadu_si512(qr + 64 * p), w1 = _mm512_loadu_si512(qr + 64 * p + 64);
                __m512i d0 = _mm512_dpbusd_epi32(zero, _mm512_loadu_si512(xai + 64 * p), _mm512_mask_sub_epi8(w0, xni[p], zero, w0));
                __m512i d1 = _mm512_dpbusd_epi32(zero, _mm512_loadu_si512(xai + 64 * p + 64), _mm512_mask_sub_epi8(w1, xni[p + 1], zero, w1));
                __m512 s0 = _mm512_loadu_ps(xdi + 16 * p), s1 = _mm512_loadu_ps(xdi + 16 * p + 16);
                if (group == 32) {
                    s0 = _mm512_mul_ps(s0, pair_scales(sr + 2 * p));
                    s1 = _mm512_mul_ps(s1, pair_scales(sr + 2 * p + 2));
                }
                e = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), s0, e);
                o = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), s1, o);
            }
            if (p < pairs) {
                __m512i w0 = _mm512_loadu_si512(qr + 64 * p);
                __m512i d0 = _mm512_dpbusd_epi32(zero, _mm512_loadu_si512(xai + 64 * p), _mm512_mask_sub_epi8(w0, xni[p], zero, w0));
                __m512 s0 = _mm512_loadu_ps(xdi + 16 * p);
                if (group == 32) s0 = _mm512_mul_ps(s0, pair_scales(sr + 2 * p));
                e = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), s0, e);
            }
            float v = _mm512_reduce_add_ps(_mm512_add_ps(e, o));
            y[(long) i * n + r] = group == 32 ? v : v * sr[0];
        }
    }
}

/* Four float16 weight-block scales s[0..3], each over the 4 dword lanes of its block's 16-byte lane. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c")))
static inline __m512 quad_scales(const uint16_t *s) {
    const __m512i idx = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *) s))));
}

/* y [m, n] = x W ᵀ, W int4 in 32-blocks (Q4_0 layout, auris_gemv_q4): Σ_b s_b d_b Σ nibble · xq, plus Σ_b s_b xc_b.
 * A 64-byte load holds 4 blocks, one per 16-byte lane: its low nibbles are the blocks' values 0-15 and its high nibbles
 * their values 16-31, which xq holds in that order (auris_quantize_x8), so two vpdpbusd into one accumulator take
 * 128 weights with no shuffle; each dword lane stays in one block (|sums| ≤ 8 · 15 · 127). */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c")))
static void q4x8_vnni(const int8_t *xq, const float *xs, const float *xc, int m, const uint8_t *pk, const uint16_t *s, int k, float *y, int n, int r0, int r1) {
    int chunks = k / 128, blocks = k / 32;
    const __m512i zero = _mm512_setzero_si512(), low = _mm512_set1_epi8(0x0f);
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = pk + (long) r * (k / 2);
        const uint16_t *sr = s + (long) r * blocks;
        for (int i = 0; i < m; i++) {
            const int8_t *xqi = xq + (long) i * k;
            const float *xsi = xs + (long) i * blocks * 4, *xci = xc + (long) i * blocks;
            __m512 e = _mm512_setzero_ps(), o = e;
            int c = 0;
            for (; c < chunks; c++) {
                __m512i v = _mm512_loadu_si512(pr + 64 * c);
                __m512i lo = _mm512_and_si512(v, low), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
                __m512i d = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zero, lo, _mm512_loadu_si512(xqi + 128 * c)), hi, _mm512_loadu_si512(xqi + 128 * c + 64));
                __m512 sc = _mm512_mul_ps(_mm512_loadu_ps(xsi + 16 * c), quad_scales(sr + 4 * c));
                if (c % 2 == 0) e = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sc, e);
                else o = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sc, o);
            }
            float v = _mm512_reduce_add_ps(_mm512_add_ps(e, o));
            if (4 * chunks < blocks) {                                         /* k % 128 == 64: a last chunk of 2 blocks */
                const __m256i low8 = _mm256_set1_epi8(0x0f);
                const __m256i idx = _mm256_set_epi32(1, 1, 1, 1, 0, 0, 0, 0);
                __m256i w = _mm256_loadu_si256((const __m256i *) (pr + 64 * c));
                __m256i lo = _mm256_and_si256(w, low8), hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low8);
                __m256i d = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, _mm256_loadu_si256((const __m256i *) (xqi + 128 * c))),
                                                hi, _mm256_loadu_si256((const __m256i *) (xqi + 128 * c + 32)));
                int two;
                memcpy(&two, sr + 4 * c, 4);                                   /* the last two blocks' float16 scales */
                __m256 sw = _mm256_permutexvar_ps(idx, _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi32_si128(two))));
                __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(d), _mm256_mul_ps(_mm256_loadu_ps(xsi + 16 * c), sw));
                __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
                h = _mm_add_ps(h, _mm_movehl_ps(h, h));
                v += _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
            }
            __m512 cs = _mm512_setzero_ps();                                   /* the offset: Σ_b s_b · xc_b, 16 blocks at a time */
            int b = 0;
            for (; b + 16 <= blocks; b += 16) cs = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (sr + b))), _mm512_loadu_ps(xci + b), cs);
            v += _mm512_reduce_add_ps(cs);
            for (; b < blocks; b++) v += _cvtsh_ss(sr[b]) * xci[b];
            y[(long) i * n + r] = v;
        }
    }
}

/* y [m, n] float32 = x W ᵀ with x quantized (auris_quantize_x8) and W int8 (group 32 or k). Returns 0, or -1 (no VNNI / shape). */
int auris_gemv_q8x8(const uint8_t *xa, const uint64_t *xn, const float *xd, int m, const int8_t *q, const float *s, int group, int k,
                    float *y, int n, int r0, int r1) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (!(isa & ISA_AVX512VNNI) || k % 64 != 0 || !(group == 32 || group == k)) return -1;
    q8x8_vnni(xa, xn, xd, m, q, s, group, k, y, n, r0, r1);
    return 0;
}

/* y [m, n] float32 = x W ᵀ with x quantized (auris_quantize_x8) and W int4 in 32-blocks. Returns 0, or -1 (no VNNI / shape). */
int auris_gemv_q4x8(const int8_t *xq, const float *xs, const float *xc, int m, const uint8_t *p, const uint16_t *s, int k, float *y, int n, int r0, int r1) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (!(isa & ISA_AVX512VNNI) || k % 64 != 0) return -1;
    q4x8_vnni(xq, xs, xc, m, p, s, k, y, n, r0, r1);
    return 0;
}

/* ---------- bf16 GEMM for many rows (a prefill, an encoder's 1500 positions) by AVX512-BF16 ----------
 * y [m, n] = x [m, k] · w [n, k]ᵀ (+ bias [n] float32), bf16 inputs, float32 sums; y float32 or bf16 (round to nearest
 * even). Each call packs 32 rows of W at a time into pack [k/2][32][2] (a pair of k for each of 32 outputs: one
 * vdpbf16ps operand), then sweeps x in tiles of 8 rows: 8 × 32 outputs in 16 accumulators, x's k-pair broadcast to
 * every lane. k even. Rows of W n0..n1-1 (n0 % 32 == 0), so callers split W's rows over threads, each with its own
 * pack buffer of 32 · k bf16. Where oneDNN has AMX it is faster; this is for CPUs with AVX512-BF16 and no AMX. */

#define GEMM_MR 8
#define GEMM_NR 32

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void pack_panel(const uint16_t *w, int k, int rows, uint32_t *pack) {
    /* pack[p * 32 + c] = (w[c][2p], w[c][2p + 1]) as one dword; rows past the last are zero */
    for (int c = 0; c < GEMM_NR; c++) {
        const uint32_t *src = (const uint32_t *) (w + (long) c * k);
        if (c < rows) for (int p = 0; p < k / 2; p++) pack[(long) p * GEMM_NR + c] = src[p];
        else for (int p = 0; p < k / 2; p++) pack[(long) p * GEMM_NR + c] = 0;
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static inline void store16(__m512 v, void *y, long off, int bf16_out, __mmask16 mask) {
    if (bf16_out) {
        __m256i b = (__m256i) _mm512_cvtneps_pbh(v);                  /* round to nearest even, as torch */
        _mm256_mask_storeu_epi16((uint16_t *) y + off, mask, b);
    } else {
        _mm512_mask_storeu_ps((float *) y + off, mask, v);
    }
}

/* One tile: MR rows of x (x0 stride k) × 32 packed outputs over all k. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"), always_inline))
static inline void gemm_tile(const uint16_t *x0, int mr, int k, const uint32_t *pack, const float *bias, void *y, long ldy, int nvalid, int bf16_out) {
    __m512 acc[GEMM_MR][2];
    for (int i = 0; i < GEMM_MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    const uint32_t *xr[GEMM_MR];
    for (int i = 0; i < GEMM_MR; i++) xr[i] = (const uint32_t *) (x0 + (long) (i < mr ? i : 0) * k);
    for (int p = 0; p < k / 2; p++) {
        __m512bh b0 = (__m512bh) _mm512_loadu_si512(pack + (long) p * GEMM_NR);
        __m512bh b1 = (__m512bh) _mm512_loadu_si512(pack + (long) p * GEMM_NR + 16);
        for (int i = 0; i < GEMM_MR; i++) {
            if (i < mr) {
                __m512bh a = (__m512bh) _mm512_set1_epi32((int) xr[i][p]);
                acc[i][0] = _mm512_dpbf16_ps(acc[i][0], a, b0);
                acc[i][1] = _mm512_dpbf16_ps(acc[i][1], a, b1);
            }
        }
    }
    __mmask16 m0 = nvalid >= 16 ? 0xffff : (__mmask16) ((1u << nvalid) - 1);
    __mmask16 m1 = nvalid >= 32 ? 0xffff : nvalid <= 16 ? 0 : (__mmask16) ((1u << (nvalid - 16)) - 1);
    __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
    __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
    for (int i = 0; i < GEMM_MR; i++) {
        if (i < mr) {
            store16(_mm512_add_ps(acc[i][0], bias0), y, (long) i * ldy, bf16_out, m0);
            store16(_mm512_add_ps(acc[i][1], bias1), y, (long) i * ldy + 16, bf16_out, m1);
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void gemm_bf16(const uint16_t *x, int m, const uint16_t *w, int k, const float *bias, void *y, int n, int n0, int n1, int bf16_out, uint32_t *pack) {
    int size = bf16_out ? 2 : 4;
    for (int c = n0; c < n1; c += GEMM_NR) {
        int rows = n1 - c < GEMM_NR ? n1 - c : GEMM_NR;
        pack_panel(w + (long) c * k, k, rows, pack);
        for (int r = 0; r < m; r += GEMM_MR) {
            int mr = m - r < GEMM_MR ? m - r : GEMM_MR;
            char *yt = (char *) y + ((long) r * n + c) * size;
            const float *bt = bias ? bias + c : 0;
            switch (mr) {                                             /* constant row counts: the tile fully unrolled */
                case 8: gemm_tile(x + (long) r * k, 8, k, pack, bt, yt, n, rows, bf16_out); break;
                case 7: gemm_tile(x + (long) r * k, 7, k, pack, bt, yt, n, rows, bf16_out); break;
                case 6: gemm_tile(x + (long) r * k, 6, k, pack, bt, yt, n, rows, bf16_out); break;
                case 5: gemm_tile(x + (long) r * k, 5, k, pack, bt, yt, n, rows, bf16_out); break;
                case 4: gemm_tile(x + (long) r * k, 4, k, pack, bt, yt, n, rows, bf16_out); break;
                case 3: gemm_tile(x + (long) r * k, 3, k, pack, bt, yt, n, rows, bf16_out); break;
                case 2: gemm_tile(x + (long) r * k, 2, k, pack, bt, yt, n, rows, bf16_out); break;
                default: gemm_tile(x + (long) r * k, 1, k, pack, bt, yt, n, rows, bf16_out); break;
            }
        }
    }
}

/* y [m, n] = x [m, k] · w [n, k]ᵀ (+ bias), bf16 in; rows n0..n1-1 of W (n0 % 32 == 0); pack holds 32 · k bf16.
 * Returns 0, or -1 (no AVX512-BF16 / shape). */
int auris_gemm_bf16(const uint16_t *x, int m, const uint16_t *w, int k, const float *bias, void *y, int n, int n0, int n1, int bf16_out, void *pack) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (!(isa & ISA_AVX512BF16) || k % 2 != 0 || k < 2 || m < 1 || n0 % GEMM_NR != 0 || n0 < 0 || n1 > n || n0 >= n1) return -1;
    gemm_bf16(x, m, w, k, bias, y, n, n0, n1, bf16_out, (uint32_t *) pack);
    return 0;
}

/* ---------- attention over many positions, bf16, unmasked (an encoder's) or causal (a prefill's) by AVX512-BF16: flash attention's way ----------
 * q [B, H, T, hd], k and v [B, KV, S, hd], out [B, H, T, hd], all bf16 contiguous; query head h reads kv head
 * h / (H / KV). Per head, K is packed into vdpbf16ps's pair layout in blocks of 32 keys and V into key pairs; each tile
 * of 4 queries sweeps the keys 32 at a time: scores in float32 (exact bf16 products), the softmax kept online (running
 * maximum and sum, earlier output rescaled), the block's probabilities rounded to bf16 to weigh V (as a bf16 matmul
 * would); causal: query r sees keys ≤ r + S − T, and blocks past a tile's last row are skipped. hd % 32 == 0, hd ≤ 128. Heads h0..h1-1 of the B · H; pack holds 2 · S32 · hd bf16 (S32 = S rounded up to 32). */

#define ATT_RT 4

/* e^x of the scores minus their maximum: exp_neg16 (above; its AVX-512F target inlines into these AVX512-BF16 kernels). */

/* One tile of rt ≤ 4 queries of one head over all keys; NC = hd / 16 output chunks. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"), always_inline))
static inline void attend_tile(const uint16_t *q, int rt, int hd, int nc, const uint32_t *kp, const uint32_t *vp, int s, float scale, uint16_t *out,
                               int limit0) {
    /* limit0 < 0: every key; else query row r sees keys 0..limit0 + r (causal) */
    __m512 o[ATT_RT][8];
    float m[ATT_RT], l[ATT_RT];
    const uint32_t *qr[ATT_RT];
    for (int r = 0; r < ATT_RT; r++) {
        for (int c = 0; c < 8; c++) o[r][c] = _mm512_setzero_ps();
        m[r] = -INFINITY;
        l[r] = 0;
        qr[r] = (const uint32_t *) (q + (long) (r < rt ? r : 0) * hd);
    }
    int blocks = (s + 31) / 32;
    if (limit0 >= 0 && (limit0 + rt - 1) / 32 + 1 < blocks) blocks = (limit0 + rt - 1) / 32 + 1;   /* past the last row's limit: nothing */
    for (int b = 0; b < blocks; b++) {
        const uint32_t *kb = kp + (long) b * (hd / 2) * 32;
        __m512 s0[ATT_RT], s1[ATT_RT];
        for (int r = 0; r < ATT_RT; r++) s0[r] = s1[r] = _mm512_setzero_ps();
        for (int p = 0; p < hd / 2; p++) {
            __m512bh k0 = (__m512bh) _mm512_loadu_si512(kb + p * 32), k1 = (__m512bh) _mm512_loadu_si512(kb + p * 32 + 16);
            for (int r = 0; r < ATT_RT; r++) {
                if (r < rt) {
                    __m512bh a = (__m512bh) _mm512_set1_epi32((int) qr[r][p]);
                    s0[r] = _mm512_dpbf16_ps(s0[r], a, k0);
                    s1[r] = _mm512_dpbf16_ps(s1[r], a, k1);
                }
            }
        }
        const __m512 ninf = _mm512_set1_ps(-INFINITY), sc = _mm512_set1_ps(scale);
        for (int r = 0; r < ATT_RT; r++) {
            if (r >= rt) continue;
            int valid = s - 32 * b;                                          /* keys of this block the row sees */
            if (limit0 >= 0 && limit0 + r + 1 - 32 * b < valid) valid = limit0 + r + 1 - 32 * b;
            if (valid <= 0) continue;                                        /* none (a causal row's later block) */
            __mmask16 v0 = valid >= 16 ? 0xffff : (__mmask16) ((1u << valid) - 1);
            __mmask16 v1 = valid >= 32 ? 0xffff : valid <= 16 ? 0 : (__mmask16) ((1u << (valid - 16)) - 1);
            __m512 a = _mm512_mask_mul_ps(ninf, v0, s0[r], sc), c1 = _mm512_mask_mul_ps(ninf, v1, s1[r], sc);
            float mx = _mm512_reduce_max_ps(_mm512_max_ps(a, c1));
            float mn = mx > m[r] ? mx : m[r];
            float alpha = m[r] == -INFINITY ? 0 : expf(m[r] - mn);
            __m512 mv = _mm512_set1_ps(mn);
            __m512 p0 = exp_neg16(_mm512_sub_ps(a, mv)), p1 = exp_neg16(_mm512_sub_ps(c1, mv));
            p0 = _mm512_maskz_mov_ps(v0, p0);
            p1 = _mm512_maskz_mov_ps(v1, p1);
            l[r] = l[r] * alpha + _mm512_reduce_add_ps(_mm512_add_ps(p0, p1));
            m[r] = mn;
            __m512 al = _mm512_set1_ps(alpha);
            for (int c = 0; c < nc; c++) o[r][c] = _mm512_mul_ps(o[r][c], al);
            __m512i pb = (__m512i) _mm512_cvtne2ps_pbh(p1, p0);                 /* keys 0-15 from p0, 16-31 from p1 */
            const uint32_t *vb = vp + (long) b * 16 * hd;                        /* 16 key pairs of this block, each [hd] */
            for (int j = 0; j < 16; j++) {
                __m512bh pj = (__m512bh) _mm512_permutexvar_epi32(_mm512_set1_epi32(j), pb);
                for (int c = 0; c < nc; c++) o[r][c] = _mm512_dpbf16_ps(o[r][c], pj, (__m512bh) _mm512_loadu_si512(vb + (long) j * hd + 16 * c));
            }
        }
    }
    for (int r = 0; r < rt; r++) {
        __m512 inv = _mm512_set1_ps(1.0f / l[r]);
        for (int c = 0; c < nc; c++) {
            __m256i y = (__m256i) _mm512_cvtneps_pbh(_mm512_mul_ps(o[r][c], inv));
            _mm256_storeu_si256((__m256i *) (out + (long) r * hd + 16 * c), y);
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void attend_bf16(const uint16_t *q, const uint16_t *k, const uint16_t *v, uint16_t *out, int h, int kv, int t, int s, int hd,
                        int h0, int h1, uint32_t *kp, uint32_t *vp, int causal) {
    int blocks = (s + 31) / 32, nc = hd / 16;
    float scale = 1.0f / sqrtf((float) hd);
    for (int bh = h0; bh < h1; bh++) {
        int b = bh / h, head = bh % h;
        const uint16_t *kh = k + ((long) b * kv + head / (h / kv)) * s * hd, *vh = v + ((long) b * kv + head / (h / kv)) * s * hd;
        /* kp [blocks][hd/2][32] dwords: (k[key][2p], k[key][2p+1]); vp [blocks·16][hd] dwords: (v[2j][d], v[2j+1][d]); keys past s are 0 */
        for (int bl = 0; bl < blocks; bl++)
            for (int p = 0; p < hd / 2; p++)
                for (int j = 0; j < 32; j++) {
                    int key = 32 * bl + j;
                    kp[((long) bl * (hd / 2) + p) * 32 + j] = key < s ? ((const uint32_t *) (kh + (long) key * hd))[p] : 0;
                }
        for (int j2 = 0; j2 < blocks * 16; j2++)
            for (int d = 0; d < hd; d++) {
                uint32_t lo = 2 * j2 < s ? vh[(long) (2 * j2) * hd + d] : 0, hi = 2 * j2 + 1 < s ? vh[(long) (2 * j2 + 1) * hd + d] : 0;
                vp[(long) j2 * hd + d] = lo | hi << 16;
            }
        const uint16_t *qh = q + (long) bh * t * hd;
        uint16_t *oh = out + (long) bh * t * hd;
        for (int r = 0; r < t; r += ATT_RT) {
            int rt = t - r < ATT_RT ? t - r : ATT_RT;
            int limit0 = causal ? r + s - t : -1;                              /* query r sees keys ≤ r + S − T (SDPA's causal, aligned at the end) */
            if (nc == 4) attend_tile(qh + (long) r * hd, rt, hd, 4, kp, vp, s, scale, oh + (long) r * hd, limit0);
            else attend_tile(qh + (long) r * hd, rt, hd, nc, kp, vp, s, scale, oh + (long) r * hd, limit0);
        }
    }
}

/* Returns 0, or -1 (no AVX512-BF16 / shape). pack: 2 · S32 · hd dwords... see above: kp then vp, each S32 · hd / 2 dwords. */
int auris_attend_bf16(const uint16_t *q, const uint16_t *k, const uint16_t *v, uint16_t *out, int h, int kv, int t, int s, int hd,
                      int h0, int h1, void *pack, int causal) {
    static int isa = -1;
    if (isa < 0) isa = auris_isa();
    if (!(isa & ISA_AVX512BF16) || hd % 32 != 0 || hd > 128 || kv < 1 || h % kv != 0 || t < 1 || s < 1 || h0 < 0 || h0 >= h1 || (causal && s < t)) return -1;
    long s32 = (long) (s + 31) / 32 * 32;
    uint32_t *kp = (uint32_t *) pack, *vp = kp + s32 * hd / 2;
    attend_bf16(q, k, v, out, h, kv, t, s, hd, h0, h1, kp, vp, causal);
    return 0;
}

/* ---------- a decode step's elementwise work, one position in float32 (dev.auris.nn.DecodeGlue) ----------
 * What runs between the products of a decode step: each call replaces several libtorch ops (and their dispatch, tensor
 * allocation and JavaCPP wrapping, ≈ 5 µs each, ≈ 45 a layer), on vectors of a few thousand floats. */

/* h [rows, d] += delta (when delta is not NULL), then out = h / √(mean(h²) + eps) · w [d] per row (HF LlamaRMSNorm in
 * float32; rows > 1 is Qwen3's per-head q / k norm). out may be h. */
__attribute__((target_clones("avx512f", "arch=haswell", "default")))
static void add_rmsnorm(float *h, const float *delta, int rows, int d, const float *w, float eps, float *out) {
    for (int r = 0; r < rows; r++) {
        float *x = h + (long) r * d, *y = out + (long) r * d;
        const float *dx = delta == 0 ? 0 : delta + (long) r * d;
        if (dx) {
            #pragma omp simd
            for (int i = 0; i < d; i++) x[i] += dx[i];
        }
        float ss = 0;
        #pragma omp simd reduction(+:ss)
        for (int i = 0; i < d; i++) ss += x[i] * x[i];
        float inv = 1.0f / sqrtf(ss / (float) d + eps);
        #pragma omp simd
        for (int i = 0; i < d; i++) y[i] = x[i] * inv * w[i];
    }
}

int auris_add_rmsnorm(float *h, const float *delta, int rows, int d, const float *w, float eps, float *out) {
    if (rows < 1 || d < 1 || !(eps >= 0)) return -1;
    add_rmsnorm(h, delta, rows, d, w, eps, out);
    return 0;
}

/* x [heads, hd] rotated in place as HF's rotate_half pairs them (i with i + hd/2): x1·cos − x2·sin, x2·cos + x1·sin;
 * cos, sin [hd/2] of the position. */
__attribute__((target_clones("avx512f", "arch=haswell", "default")))
static void rope(float *x, int heads, int hd, const float *cos, const float *sin) {
    int half = hd / 2;
    for (int h = 0; h < heads; h++) {
        float *a = x + (long) h * hd, *b = a + half;
        #pragma omp simd
        for (int i = 0; i < half; i++) {
            float x1 = a[i], x2 = b[i];
            a[i] = x1 * cos[i] - x2 * sin[i];
            b[i] = x2 * cos[i] + x1 * sin[i];
        }
    }
}

int auris_rope(float *x, int heads, int hd, const float *cos, const float *sin) {
    if (heads < 1 || hd < 2 || hd % 2 != 0) return -1;
    rope(x, heads, hd, cos, sin);
    return 0;
}

/* out [n] = silu(g) · u (the SwiGLU MLP's middle; out may be g or u). */
__attribute__((target_clones("avx512f", "arch=haswell", "default")))
static void silu_mul(const float *g, const float *u, float *out, int n) {
    for (int i = 0; i < n; i++) out[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

int auris_silu_mul(const float *g, const float *u, float *out, int n) {
    if (n < 1) return -1;
    silu_mul(g, u, out, n);
    return 0;
}

/* y [n] += x (a bias, or a residual without a norm after it). */
int auris_add(float *y, const float *x, int n) {
    if (n < 1) return -1;
    #pragma omp simd
    for (int i = 0; i < n; i++) y[i] += x[i];
    return 0;
}

/* y [n] bf16 = x float32, round to nearest even (the input of a bf16 weight's product). */
int auris_to_bf16(const float *x, uint16_t *y, int n) {
    if (n < 1) return -1;
    for (int i = 0; i < n; i++) y[i] = f32_to_bf16(x[i]);
    return 0;
}

/* y [m, n] float32 = x [m, k] float32 · w [n, k]ᵀ float32, rows r0..r1-1 of w (a float32 model's decode step). */
__attribute__((target_clones("avx512f", "arch=haswell", "default")))
static void gemv_f32(const float *x, int m, const float *w, int k, float *y, int n, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
        const float *wr = w + (long) r * k;
        for (int i = 0; i < m; i++) {
            const float *xi = x + (long) i * k;
            float acc = 0;
            #pragma omp simd reduction(+:acc)
            for (int j = 0; j < k; j++) acc += xi[j] * wr[j];
            y[(long) i * n + r] = acc;
        }
    }
}

int auris_gemv_f32(const float *x, int m, const float *w, int k, float *y, int n, int r0, int r1) {
    if (m < 1 || k < 1 || n < 1 || r0 < 0 || r1 > n) return -1;
    gemv_f32(x, m, w, k, y, n, r0, r1);
    return 0;
}
