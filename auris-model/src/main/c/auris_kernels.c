/*
 * Auris's native matrix × few-vectors kernels for decode (weights streamed once from memory), called from Java
 * through the FFM API (dev.auris.nn.NativeKernels). One source, several instruction sets: each kernel is compiled
 * for AVX-512 (+BF16) and AVX2 by target attributes, and auris_isa() tells Java which the CPU runs, so one
 * build runs on any x86-64 (no -march=native).
 *
 * Shapes (row-major): x [m, k]; w [n, k]; y [m, n]; a call computes rows r0..r1-1 of W for all m vectors,
 * so callers split the rows over threads. Scales s [n, k/group] float32 (group = 32, or k for one a row).
 *
 * Numerics: bf16 × bf16 products are exact in float32 and summed in float32 (AVX512-BF16's vdpbf16ps, or
 * widened floats and FMAs); int8 weights are widened to float32 and multiplied by float32 activations, so
 * the result equals float32 math on the dequantized weights up to summation order.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define ISA_AVX2 1
#define ISA_AVX512 2
#define ISA_AVX512BF16 4

int auris_isa(void) {
    __builtin_cpu_init();
    int isa = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa |= ISA_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) isa |= ISA_AVX512;
    if ((isa & ISA_AVX512) && __builtin_cpu_supports("avx512bf16")) isa |= ISA_AVX512BF16;
    return isa;
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
 * stored + 8; s [n, k/32] float32. W[r, 32g + j] = (nibble − 8) · s[r, g]. */

__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline __m512 block_dot_q4_avx512(const uint8_t *p, const float *x) {
    const __m128i low = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    __m128i b = _mm_loadu_si128((const __m128i *) p);
    __m128i lo = _mm_sub_epi8(_mm_and_si128(b, low), eight);
    __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(b, 4), low), eight);
    __m512 d = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo)), _mm512_loadu_ps(x));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi)), _mm512_loadu_ps(x + 16), d);
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
static void q4_avx512(const float *x, int m, const uint8_t *p, const float *s, int k, float *y, int n, int r0, int r1) {
    int groups = k / 32;
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = p + (long) r * (k / 2);
        const float *sr = s + (long) r * groups;
        for (int i = 0; i < m; i++) {
            const float *xi = x + (long) i * k;
            __m512 e = _mm512_setzero_ps(), o = e;
            int g = 0;
            for (; g + 1 < groups; g += 2) {
                e = _mm512_fmadd_ps(block_dot_q4_avx512(pr + 16 * g, xi + 32 * g), _mm512_set1_ps(sr[g]), e);
                o = _mm512_fmadd_ps(block_dot_q4_avx512(pr + 16 * g + 16, xi + 32 * g + 32), _mm512_set1_ps(sr[g + 1]), o);
            }
            if (g < groups) e = _mm512_fmadd_ps(block_dot_q4_avx512(pr + 16 * g, xi + 32 * g), _mm512_set1_ps(sr[g]), e);
            y[(long) i * n + r] = _mm512_reduce_add_ps(_mm512_add_ps(e, o));
        }
    }
}

__attribute__((target("avx2,fma")))
static void q4_avx2(const float *x, int m, const uint8_t *p, const float *s, int k, float *y, int n, int r0, int r1) {
    int groups = k / 32;
    const __m128i low = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = p + (long) r * (k / 2);
        const float *sr = s + (long) r * groups;
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
                acc = _mm256_fmadd_ps(d, _mm256_set1_ps(sr[g]), acc);
            }
            y[(long) i * n + r] = hsum256(acc);
        }
    }
}

/* y [m, n] float32 = x W ᵀ for int4 W in 32-blocks (k % 32 == 0). Returns 0, or -1 (no kernel / shape). */
int auris_gemv_q4(const float *x, int m, const uint8_t *p, const float *s, int k, float *y, int n, int r0, int r1) {
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
int auris_dequant_q4(const uint8_t *p, const float *s, int k, void *out, int r0, int r1, int bf16_out) {
    if (k % 32 != 0) return -1;
    int groups = k / 32;
    for (int r = r0; r < r1; r++) {
        const uint8_t *pr = p + (long) r * (k / 2);
        const float *sr = s + (long) r * groups;
        float row[32];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < 16; j++) {
                row[j] = (float) ((pr[16 * g + j] & 0x0f) - 8) * sr[g];
                row[j + 16] = (float) ((pr[16 * g + j] >> 4) - 8) * sr[g];
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

int auris_attend1(const float *q, int h, const float *k, const float *v, int kv, int s, long kv_stride, int hd, float *out, float *scores, int h0, int h1) {
    if (kv < 1 || h % kv != 0 || s < 1 || hd < 1 || h0 < 0 || h1 > h) return -1;
    attend1(q, h, k, v, kv, s, kv_stride, hd, out, scores, h0, h1);
    return 0;
}
