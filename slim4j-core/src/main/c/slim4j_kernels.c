// slim4j's native microkernels: the innermost loops the JVM cannot emit (AVX-512 VNNI's vpdpbusd), called through FFM
// (org.slim4j.tensor.kernel.NativeKernels). Everything around them (threads, which rows, the model) stays in Java; the
// pure-Java kernels (IntKernels, QuantKernels, FloatKernels) are the fallback and the oracle these are tested against.
//
// Weights are ggml's block formats exactly as in a GGUF file (ggml-common.h documents the layouts; nothing here is
// taken from ggml's code). Activations are one or more rows quantized like llama.cpp's quantize_row_q8_0, per 32-block:
// int8 codes xq, a float scale xd, the integer sum of the block's codes xs and of its first 16 codes xs16 (so weight
// offsets and mins come out as one scalar term per block). A 512-bit vpdpbusd multiplies 64 unsigned weight codes by 64
// signed activation codes and sums each 4 into 16 int32 lanes: lanes 0-7 hold one 32-element sub-block, 8-15 the next.
//
// Every kernel computes y[i * y_stride + r] (+)= dot(W[r], x_i) for weight rows [r0, r1) and activation rows i < n.
// Built with function-level target attributes, so the library loads on any x86-64; s4j_caps() says which kernels the
// CPU can run, and Java binds them only then.

#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))

// bit 0: the AVX-512 VNNI kernels can run
int32_t s4j_caps(void) {
    __builtin_cpu_init();
    int ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("f16c")
            && __builtin_cpu_supports("fma");
    return ok ? 1 : 0;
}

AVX512 static inline float f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// The activation rows: n rows of cols codes, their per-32 scales and sums.
typedef struct {
    const int8_t *q;
    const float *d;
    const int32_t *s;
    const int16_t *s16;
    int32_t cols;
} act;

static inline void store(float *y, int64_t i, float v, int32_t acc) {
    y[i] = acc ? y[i] + v : v;
}

AVX512 static inline float hsum(__m512 v) {
    return _mm512_reduce_add_ps(v);
}

// [a | b]: two 256-bit halves into one 512-bit register
AVX512 static inline __m512i join(__m256i a, __m256i b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

// 16 nibble bytes -> 32 codes: low nibbles (elements 0..15), then high nibbles (16..31)
AVX512 static inline __m256i nibbles(const uint8_t *p) {
    __m128i v = _mm_loadu_si128((const __m128i *) p);
    __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(v), _mm_srli_epi16(v, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits -> 32 bytes of 0x10 where the bit is set (the fifth bit of Q5 codes)
AVX512 static inline __m256i fifth(uint32_t bits) {
    return _mm256_maskz_mov_epi8((__mmask32) bits, _mm256_set1_epi8(0x10));
}

// lanes 0-7 scaled by a, 8-15 by b
AVX512 static inline __m512 pair(float a, float b) {
    return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

// ---------------------------------------------------------------------------------------------------------------------
// 32-element block types. One step takes two blocks, 64 codes, one vpdpbusd per activation row.

#define Q32_KERNEL(NAME, BYTES, CODES, SCALE, MIN, OFFSET)                                                               \
    AVX512 void NAME(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,    \
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride,      \
                     int32_t acc) {                                                                                    \
        (void) xs16;                                                                                                   \
        int nb = cols / 32;                                                                                            \
        for (int32_t r = r0; r < r1; r++) {                                                                            \
            const uint8_t *row = w + (int64_t) r * row_bytes;                                                          \
            for (int32_t i = 0; i < n; i++) {                                                                          \
                const int8_t *q = xq + (int64_t) i * cols;                                                             \
                const float *d = xd + (int64_t) i * nb;                                                                \
                const int32_t *s = xs + (int64_t) i * nb;                                                              \
                __m512 sum = _mm512_setzero_ps();                                                                      \
                float corr = 0;                                                                                        \
                int b = 0;                                                                                             \
                for (; b + 2 <= nb; b += 2) {                                                                          \
                    const uint8_t *p0 = row + (int64_t) BYTES * b, *p1 = p0 + BYTES;                                   \
                    __m512i c = join(CODES(p0), CODES(p1));                                                            \
                    __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c, _mm512_loadu_si512(q + 32 * b));     \
                    float s0 = SCALE(p0) * d[b], s1 = SCALE(p1) * d[b + 1];                                            \
                    sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), pair(s0, s1), sum);                                \
                    corr += (MIN(p0) - OFFSET * SCALE(p0)) * d[b] * s[b] + (MIN(p1) - OFFSET * SCALE(p1)) * d[b + 1] * s[b + 1]; \
                }                                                                                                      \
                float tail = 0;                                                                                        \
                for (; b < nb; b++) {                                                                                  \
                    const uint8_t *p0 = row + (int64_t) BYTES * b;                                                     \
                    __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), CODES(p0), _mm256_loadu_si256((const __m256i *) (q + 32 * b))); \
                    __m256 f = _mm256_cvtepi32_ps(dot);                                                                \
                    __m128 h = _mm_add_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1));                     \
                    h = _mm_add_ps(h, _mm_movehl_ps(h, h));                                                            \
                    h = _mm_add_ss(h, _mm_movehdup_ps(h));                                                             \
                    tail += _mm_cvtss_f32(h) * SCALE(p0) * d[b];                                                       \
                    corr += (MIN(p0) - OFFSET * SCALE(p0)) * d[b] * s[b];                                              \
                }                                                                                                      \
                store(y, (int64_t) i * y_stride + r, hsum(sum) + tail + corr, acc);                                    \
            }                                                                                                          \
        }                                                                                                              \
    }

#define Q4_0_CODES(p) nibbles((p) + 2)
#define Q4_1_CODES(p) nibbles((p) + 4)
#define Q5_0_CODES(p) _mm256_or_si256(nibbles((p) + 6), fifth(*(const uint32_t *) ((p) + 2)))
#define Q5_1_CODES(p) _mm256_or_si256(nibbles((p) + 8), fifth(*(const uint32_t *) ((p) + 4)))
#define D_AT0(p) f16(p)
#define M_NONE(p) 0.0f
#define M_AT2(p) f16((p) + 2)

Q32_KERNEL(q4_0_rows, 18, Q4_0_CODES, D_AT0, M_NONE, 8)
Q32_KERNEL(s4j_q4_1, 20, Q4_1_CODES, D_AT0, M_AT2, 0)
Q32_KERNEL(s4j_q5_0, 22, Q5_0_CODES, D_AT0, M_NONE, 16)
Q32_KERNEL(s4j_q5_1, 24, Q5_1_CODES, D_AT0, M_AT2, 0)

// Q8_0: signed codes, so the sign trick: |w| (unsigned) times x carrying w's sign. 256 bits a block.
AVX512 static void q8_0_rows(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    (void) xs;
    (void) xs16;
    int nb = cols / 32;
    for (int32_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * row_bytes;
        for (int32_t i = 0; i < n; i++) {
            const int8_t *q = xq + (int64_t) i * cols;
            const float *d = xd + (int64_t) i * nb;
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
            int b = 0;
            for (; b + 2 <= nb; b += 2) {
                const uint8_t *p = row + 34 * (int64_t) b;
                __m256i w0 = _mm256_loadu_si256((const __m256i *) (p + 2)), w1 = _mm256_loadu_si256((const __m256i *) (p + 36));
                __m256i x0 = _mm256_loadu_si256((const __m256i *) (q + 32 * b)), x1 = _mm256_loadu_si256((const __m256i *) (q + 32 * b + 32));
                __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w0), _mm256_sign_epi8(x0, w0));
                __m256i d1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w1), _mm256_sign_epi8(x1, w1));
                s0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d0), _mm256_set1_ps(f16(p) * d[b]), s0);
                s1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d1), _mm256_set1_ps(f16(p + 34) * d[b + 1]), s1);
            }
            for (; b < nb; b++) {
                const uint8_t *p = row + 34 * (int64_t) b;
                __m256i w0 = _mm256_loadu_si256((const __m256i *) (p + 2));
                __m256i x0 = _mm256_loadu_si256((const __m256i *) (q + 32 * b));
                __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w0), _mm256_sign_epi8(x0, w0));
                s0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d0), _mm256_set1_ps(f16(p) * d[b]), s0);
            }
            __m256 t = _mm256_add_ps(s0, s1);
            __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
            h = _mm_add_ps(h, _mm_movehl_ps(h, h));
            h = _mm_add_ss(h, _mm_movehdup_ps(h));
            store(y, (int64_t) i * y_stride + r, _mm_cvtss_f32(h), acc);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// 256-element k-quant blocks: eight 32-element activation blocks each.

// ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes
static inline void scale_min_k4(const uint8_t *s, int j, int *sc, int *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

// Q4_K (144 bytes: d, dmin, 12 scale bytes, 128 nibble bytes) and Q5_K (176 bytes: the same plus 32 bytes of fifth
// bits before the nibbles). Sub-blocks 2j and 2j+1 share 32 bytes: low nibbles, then high nibbles.
AVX512 static inline void k45(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                              const int32_t *xs, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc, int five) {
    int nb = cols / 256, bytes = five ? 176 : 144, qs_at = five ? 48 : 16;
    const __m512i low = _mm512_set1_epi8(0x0F);
    const __m512i shift4 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    for (int32_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * row_bytes;
        for (int32_t i = 0; i < n; i++) {
            const int8_t *q = xq + (int64_t) i * cols;
            const float *d = xd + (int64_t) i * (cols / 32);
            const int32_t *s = xs + (int64_t) i * (cols / 32);
            __m512 sum = _mm512_setzero_ps();
            float corr = 0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *p = row + (int64_t) bytes * b;
                float dd = f16(p), dmin = f16(p + 2);
                __m256i qh = five ? _mm256_loadu_si256((const __m256i *) (p + 16)) : _mm256_setzero_si256();
                for (int j = 0; j < 4; j++) {
                    __m256i v = _mm256_loadu_si256((const __m256i *) (p + qs_at + 32 * j));
                    __m512i c = _mm512_and_si512(_mm512_srlv_epi16(join(v, v), shift4), low);
                    if (five) {
                        __mmask32 h0 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char) (1 << (2 * j))));
                        __mmask32 h1 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char) (1 << (2 * j + 1))));
                        c = _mm512_or_si512(c, _mm512_maskz_mov_epi8((__mmask64) h0 | ((__mmask64) h1 << 32), _mm512_set1_epi8(0x10)));
                    }
                    int ab = 8 * b + 2 * j;
                    __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c, _mm512_loadu_si512(q + 32 * ab));
                    int sc0, m0, sc1, m1;
                    scale_min_k4(p + 4, 2 * j, &sc0, &m0);
                    scale_min_k4(p + 4, 2 * j + 1, &sc1, &m1);
                    sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), pair(dd * sc0 * d[ab], dd * sc1 * d[ab + 1]), sum);
                    corr += dmin * (m0 * d[ab] * s[ab] + m1 * d[ab + 1] * s[ab + 1]);
                }
            }
            store(y, (int64_t) i * y_stride + r, hsum(sum) - corr, acc);
        }
    }
}

AVX512 static void q4_k_rows(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    (void) xs16;
    k45(w, row_bytes, r0, r1, xq, xd, xs, cols, n, y, y_stride, acc, 0);
}

AVX512 void s4j_q5_k(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    (void) xs16;
    k45(w, row_bytes, r0, r1, xq, xd, xs, cols, n, y, y_stride, acc, 1);
}

// Scales of 16-element groups g0..g3 (lanes 4g..4g+3 of a vpdpbusd over 64 codes), each times its activation block's d.
AVX512 static inline __m512 quad(float a, float b, float c, float e) {
    return _mm512_setr_ps(a, a, a, a, b, b, b, b, c, c, c, c, e, e, e, e);
}

// Q6_K (210 bytes: 128 bytes of low nibbles ql, 64 bytes of two-bit highs qh, 16 int8 scales, d). Per half of 128:
// elements l, l+32, l+64, l+96 (l < 32) take ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high and qh[l] bits 0-1,
// 2-3, 4-5, 6-7; codes 0..63 minus 32; a scale per 16 elements.
AVX512 static void q6_k_rows(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    int nb = cols / 256;
    const __m512i low = _mm512_set1_epi8(0x0F), three = _mm512_set1_epi8(3);
    const __m512i hs01 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i hs23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    for (int32_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * row_bytes;
        for (int32_t i = 0; i < n; i++) {
            const int8_t *q = xq + (int64_t) i * cols;
            const float *d = xd + (int64_t) i * (cols / 32);
            const int32_t *s = xs + (int64_t) i * (cols / 32);
            const int16_t *s16 = xs16 + (int64_t) i * (cols / 32);
            __m512 sum = _mm512_setzero_ps();
            float corr = 0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *p = row + 210 * (int64_t) b;
                float dd = f16(p + 208);
                const int8_t *sc = (const int8_t *) (p + 192);
                for (int half = 0; half < 2; half++) {
                    const uint8_t *ql = p + 64 * half, *qhp = p + 128 + 32 * half;
                    __m512i lo = _mm512_loadu_si512(ql); // [ql[0..31] | ql[32..63]]
                    __m256i h = _mm256_loadu_si256((const __m256i *) qhp);
                    __m512i hh = join(h, h);
                    // elements 0..63 of the half: low nibbles, qh bits 0-1 then 2-3
                    __m512i c01 = _mm512_or_si512(_mm512_and_si512(lo, low),
                            _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hh, hs01), three), 4));
                    // elements 64..127: high nibbles, qh bits 4-5 then 6-7
                    __m512i c23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo, 4), low),
                            _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hh, hs23), three), 4));
                    int ab = 8 * b + 4 * half; // activation block of the half's first 32 elements
                    const int8_t *g = sc + 8 * half;
                    __m512i dot01 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c01, _mm512_loadu_si512(q + 32 * ab));
                    __m512i dot23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c23, _mm512_loadu_si512(q + 32 * ab + 64));
                    sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot01),
                            quad(dd * g[0] * d[ab], dd * g[1] * d[ab], dd * g[2] * d[ab + 1], dd * g[3] * d[ab + 1]), sum);
                    sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot23),
                            quad(dd * g[4] * d[ab + 2], dd * g[5] * d[ab + 2], dd * g[6] * d[ab + 3], dd * g[7] * d[ab + 3]), sum);
                    for (int k = 0; k < 4; k++) {
                        int first = s16[ab + k], second = s[ab + k] - first;
                        corr += 32 * dd * d[ab + k] * (g[2 * k] * first + g[2 * k + 1] * second);
                    }
                }
            }
            store(y, (int64_t) i * y_stride + r, hsum(sum) - corr, acc);
        }
    }
}

// Q3_K (110 bytes: 32 bytes of high-bit masks, 64 bytes of two-bit codes, 12 bytes of packed 6-bit scales, d).
// Element 128h + 32j + l takes bits 2j..2j+1 of qs[32h + l] and bit 4h + j of hmask[l]; code = bits - (hbit ? 0 : 4),
// here as unsigned bits + 4 * hbit minus 4. Sixteen scales, one per 16 elements, stored minus 32.
static inline void q3_scales(const uint8_t *p, int8_t out[16]) {
    uint32_t a[3];
    memcpy(a, p, 12);
    uint32_t tmp = a[2];
    uint32_t x0 = (a[0] & 0x0F0F0F0F) | (((tmp >> 0) & 0x03030303) << 4);
    uint32_t x1 = (a[1] & 0x0F0F0F0F) | (((tmp >> 2) & 0x03030303) << 4);
    uint32_t x2 = ((a[0] >> 4) & 0x0F0F0F0F) | (((tmp >> 4) & 0x03030303) << 4);
    uint32_t x3 = ((a[1] >> 4) & 0x0F0F0F0F) | (((tmp >> 6) & 0x03030303) << 4);
    uint32_t x[4] = {x0, x1, x2, x3};
    memcpy(out, x, 16);
    for (int k = 0; k < 16; k++) out[k] = (int8_t) (out[k] - 32);
}

AVX512 void s4j_q3_k(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    int nb = cols / 256;
    const __m512i three = _mm512_set1_epi8(3);
    for (int32_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * row_bytes;
        for (int32_t i = 0; i < n; i++) {
            const int8_t *q = xq + (int64_t) i * cols;
            const float *d = xd + (int64_t) i * (cols / 32);
            const int32_t *s = xs + (int64_t) i * (cols / 32);
            const int16_t *s16 = xs16 + (int64_t) i * (cols / 32);
            __m512 sum = _mm512_setzero_ps();
            float corr = 0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *p = row + 110 * (int64_t) b;
                float dd = f16(p + 108);
                int8_t sc[16];
                q3_scales(p + 96, sc);
                __m256i hm = _mm256_loadu_si256((const __m256i *) p);
                for (int h = 0; h < 2; h++) {
                    __m256i qs = _mm256_loadu_si256((const __m256i *) (p + 32 + 32 * h));
                    __m512i qq = join(qs, qs);
                    for (int j = 0; j < 4; j += 2) { // sub-blocks j and j+1 of this half: 64 elements
                        __m512i sh = _mm512_inserti64x4(_mm512_set1_epi16(2 * j), _mm256_set1_epi16(2 * j + 2), 1);
                        __m512i c = _mm512_and_si512(_mm512_srlv_epi16(qq, sh), three);
                        __mmask32 h0 = _mm256_test_epi8_mask(hm, _mm256_set1_epi8((char) (1 << (4 * h + j))));
                        __mmask32 h1 = _mm256_test_epi8_mask(hm, _mm256_set1_epi8((char) (1 << (4 * h + j + 1))));
                        c = _mm512_or_si512(c, _mm512_maskz_mov_epi8((__mmask64) h0 | ((__mmask64) h1 << 32), _mm512_set1_epi8(4)));
                        int ab = 8 * b + 4 * h + j, g = 8 * h + 2 * j;
                        __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c, _mm512_loadu_si512(q + 32 * ab));
                        sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot),
                                quad(dd * sc[g] * d[ab], dd * sc[g + 1] * d[ab], dd * sc[g + 2] * d[ab + 1], dd * sc[g + 3] * d[ab + 1]), sum);
                        for (int k = 0; k < 2; k++) {
                            int first = s16[ab + k], second = s[ab + k] - first;
                            corr += 4 * dd * d[ab + k] * (sc[g + 2 * k] * first + sc[g + 2 * k + 1] * second);
                        }
                    }
                }
            }
            store(y, (int64_t) i * y_stride + r, hsum(sum) - corr, acc);
        }
    }
}

// Q2_K (84 bytes: 16 bytes of (4-bit scale, 4-bit min) per 16 elements, 64 bytes of two-bit codes, d, dmin).
// Element 128h + 32j + l takes bits 2j..2j+1 of qs[32h + l]; value d * scale * code - dmin * min.
AVX512 void s4j_q2_k(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    int nb = cols / 256;
    const __m512i three = _mm512_set1_epi8(3);
    for (int32_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * row_bytes;
        for (int32_t i = 0; i < n; i++) {
            const int8_t *q = xq + (int64_t) i * cols;
            const float *d = xd + (int64_t) i * (cols / 32);
            const int32_t *s = xs + (int64_t) i * (cols / 32);
            const int16_t *s16 = xs16 + (int64_t) i * (cols / 32);
            __m512 sum = _mm512_setzero_ps();
            float corr = 0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *p = row + 84 * (int64_t) b;
                float dd = f16(p + 80), dmin = f16(p + 82);
                const uint8_t *sc = p;
                for (int h = 0; h < 2; h++) {
                    __m256i qs = _mm256_loadu_si256((const __m256i *) (p + 16 + 32 * h));
                    __m512i qq = join(qs, qs);
                    for (int j = 0; j < 4; j += 2) {
                        __m512i sh = _mm512_inserti64x4(_mm512_set1_epi16(2 * j), _mm256_set1_epi16(2 * j + 2), 1);
                        __m512i c = _mm512_and_si512(_mm512_srlv_epi16(qq, sh), three);
                        int ab = 8 * b + 4 * h + j, g = 8 * h + 2 * j;
                        __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c, _mm512_loadu_si512(q + 32 * ab));
                        sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), quad(dd * (sc[g] & 0xF) * d[ab], dd * (sc[g + 1] & 0xF) * d[ab],
                                dd * (sc[g + 2] & 0xF) * d[ab + 1], dd * (sc[g + 3] & 0xF) * d[ab + 1]), sum);
                        for (int k = 0; k < 2; k++) {
                            int first = s16[ab + k], second = s[ab + k] - first;
                            corr += dmin * d[ab + k] * ((sc[g + 2 * k] >> 4) * first + (sc[g + 2 * k + 1] >> 4) * second);
                        }
                    }
                }
            }
            store(y, (int64_t) i * y_stride + r, hsum(sum) - corr, acc);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Float weights times float activations: y[i * y_stride + r] (+)= dot(W[r], x[i * cols ..]).

AVX512 void s4j_f16(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const float *x, int32_t cols, int32_t n,
                    float *y, int32_t y_stride, int32_t acc) {
    for (int32_t r = r0; r < r1; r++) {
        const uint16_t *row = (const uint16_t *) (w + (int64_t) r * row_bytes);
        for (int32_t i = 0; i < n; i++) {
            const float *xi = x + (int64_t) i * cols;
            __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
            int c = 0;
            for (; c + 32 <= cols; c += 32) {
                s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (row + c))), _mm512_loadu_ps(xi + c), s0);
                s1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (row + c + 16))), _mm512_loadu_ps(xi + c + 16), s1);
            }
            float t = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
            for (; c < cols; c++) t += _cvtsh_ss(row[c]) * xi[c];
            store(y, (int64_t) i * y_stride + r, t, acc);
        }
    }
}

AVX512 void s4j_f32(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const float *x, int32_t cols, int32_t n,
                    float *y, int32_t y_stride, int32_t acc) {
    for (int32_t r = r0; r < r1; r++) {
        const float *row = (const float *) (w + (int64_t) r * row_bytes);
        for (int32_t i = 0; i < n; i++) {
            const float *xi = x + (int64_t) i * cols;
            __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
            int c = 0;
            for (; c + 32 <= cols; c += 32) {
                s0 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c), _mm512_loadu_ps(xi + c), s0);
                s1 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c + 16), _mm512_loadu_ps(xi + c + 16), s1);
            }
            float t = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
            for (; c < cols; c++) t += row[c] * xi[c];
            store(y, (int64_t) i * y_stride + r, t, acc);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Prompt batches: a 4 x 4 tile of (weight row, activation row) pairs per pass, so each weight chunk is unpacked once for
// four activation rows and each activation chunk loaded once for four weight rows. Work goes in chunks of 64 elements
// (one 512-bit vpdpbusd; two 32-element activation blocks). A type's constant code offset (Q4_0's 8, Q6_K's 32) comes
// out of the integer sum: the dot starts from -offset times the activation sum of each scale group, placed in the
// group's first lane (every lane of a group shares its scale). Mins (Q4_K, Q5_K) add their own vector per block.

typedef struct {
    const int8_t *q;
    const float *d;
    const int32_t *s;
    const int16_t *s16;
} arow;

// activation blocks b, b+1: per-lane scale (lanes 0-7, 8-15)
AVX512 static inline __m512 act_scale(const arow *a, int b) {
    return _mm512_insertf32x8(_mm512_set1_ps(a->d[b]), _mm256_set1_ps(a->d[b + 1]), 1);
}

// activation blocks b, b+1: the sums of their 16-element groups in lanes 0, 4, 8, 12, times -offset
AVX512 static inline __m512i neg_group_sums(const arow *a, int b, int offset) {
    int f0 = a->s16[b], f1 = a->s16[b + 1];
    __m512i g = _mm512_setr_epi32(f0, 0, 0, 0, a->s[b] - f0, 0, 0, 0, f1, 0, 0, 0, a->s[b + 1] - f1, 0, 0, 0);
    return _mm512_mullo_epi32(g, _mm512_set1_epi32(-offset));
}

// activation blocks b, b+1: their block sums in lanes 0 and 8, times -offset (32-element scale groups)
AVX512 static inline __m512i neg_block_sums(const arow *a, int b, int offset) {
    return _mm512_maskz_mov_epi32(0x0101, _mm512_mullo_epi32(
            _mm512_inserti64x4(_mm512_set1_epi32(a->s[b]), _mm256_set1_epi32(a->s[b + 1]), 1), _mm512_set1_epi32(-offset)));
}

#define TILE 4

// the rows of a tile: fewer than 4 repeat the last (computed, not stored)
#define TILE_ROWS(BYTES)                                                                                               \
    const uint8_t *wr[TILE];                                                                                           \
    arow ar[TILE];                                                                                                     \
    for (int k = 0; k < TILE; k++) {                                                                                   \
        int rr = r + (k < nr ? k : nr - 1), ii = i + (k < ni ? k : ni - 1);                                            \
        wr[k] = w + (int64_t) rr * row_bytes;                                                                          \
        ar[k].q = xq + (int64_t) ii * cols;                                                                            \
        ar[k].d = xd + (int64_t) ii * (cols / 32);                                                                     \
        ar[k].s = xs + (int64_t) ii * (cols / 32);                                                                     \
        ar[k].s16 = xs16 + (int64_t) ii * (cols / 32);                                                                 \
    }                                                                                                                  \
    __m512 sum[TILE][TILE];                                                                                            \
    for (int p = 0; p < TILE; p++)                                                                                     \
        for (int k = 0; k < TILE; k++) sum[p][k] = _mm512_setzero_ps();

#define TILE_STORE                                                                                                     \
    for (int p = 0; p < nr; p++)                                                                                       \
        for (int k = 0; k < ni; k++) store(y, (int64_t) (i + k) * y_stride + r + p, _mm512_reduce_add_ps(sum[p][k]), acc);

// One 64-element chunk for all 16 pairs: codes c[p] (unsigned) with weight scale vectors ws[p], activation chunk at
// element e (blocks b, b+1), the dot starting from start[k].
#define TILE_CHUNK(e, b, START)                                                                                        \
    for (int k = 0; k < TILE; k++) {                                                                                   \
        __m512i xk = _mm512_loadu_si512(ar[k].q + (e));                                                                \
        __m512 dk = act_scale(&ar[k], (b));                                                                            \
        __m512i st = START;                                                                                            \
        for (int p = 0; p < TILE; p++) {                                                                               \
            __m512i dot = _mm512_dpbusd_epi32(st, c[p], xk);                                                           \
            sum[p][k] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(dot), ws[p]), dk, sum[p][k]);                 \
        }                                                                                                              \
    }

#define GEMM_SIG(NAME) \
    AVX512 static void NAME(const uint8_t *w, int64_t row_bytes, int32_t r, int32_t nr, int32_t i, int32_t ni, const int8_t *xq, \
                            const float *xd, const int32_t *xs, const int16_t *xs16, int32_t cols, float *y, int32_t y_stride, int32_t acc)

GEMM_SIG(tile_q4_0) {
    TILE_ROWS(18)
    for (int b = 0; b + 2 <= cols / 32; b += 2) {
        __m512i c[TILE];
        __m512 ws[TILE];
        for (int p = 0; p < TILE; p++) {
            const uint8_t *p0 = wr[p] + 18 * (int64_t) b;
            c[p] = join(nibbles(p0 + 2), nibbles(p0 + 20));
            ws[p] = pair(f16(p0), f16(p0 + 18));
        }
        TILE_CHUNK(32 * b, b, neg_block_sums(&ar[k], b, 8))
    }
    TILE_STORE
}

GEMM_SIG(tile_q4_k) {
    TILE_ROWS(144)
    const __m512i low = _mm512_set1_epi8(0x0F);
    const __m512i shift4 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    for (int b = 0; b < cols / 256; b++) {
        __m512 mins[TILE];
        for (int p = 0; p < TILE; p++) {
            const uint8_t *q = wr[p] + 144 * (int64_t) b;
            float dmin = f16(q + 2);
            float m[16] = {0};
            for (int j = 0; j < 8; j++) {
                int sc, mm;
                scale_min_k4(q + 4, j, &sc, &mm);
                m[j] = -dmin * mm;
            }
            mins[p] = _mm512_loadu_ps(m);
        }
        for (int j = 0; j < 4; j++) {
            __m512i c[TILE];
            __m512 ws[TILE];
            for (int p = 0; p < TILE; p++) {
                const uint8_t *q = wr[p] + 144 * (int64_t) b;
                __m256i v = _mm256_loadu_si256((const __m256i *) (q + 16 + 32 * j));
                c[p] = _mm512_and_si512(_mm512_srlv_epi16(join(v, v), shift4), low);
                int sc0, m0, sc1, m1;
                scale_min_k4(q + 4, 2 * j, &sc0, &m0);
                scale_min_k4(q + 4, 2 * j + 1, &sc1, &m1);
                float dd = f16(q);
                ws[p] = pair(dd * sc0, dd * sc1);
            }
            int ab = 8 * b + 2 * j;
            TILE_CHUNK(32 * ab, ab, _mm512_setzero_si512())
        }
        // the mins: lanes j hold -dmin m_j and d_j * sum_j of activation block 8b + j
        for (int k = 0; k < TILE; k++) {
            float t[16] = {0};
            for (int j = 0; j < 8; j++) t[j] = ar[k].d[8 * b + j] * (float) ar[k].s[8 * b + j];
            __m512 ak = _mm512_loadu_ps(t);
            for (int p = 0; p < TILE; p++) sum[p][k] = _mm512_fmadd_ps(mins[p], ak, sum[p][k]);
        }
    }
    TILE_STORE
}

GEMM_SIG(tile_q6_k) {
    TILE_ROWS(210)
    const __m512i low = _mm512_set1_epi8(0x0F), three = _mm512_set1_epi8(3);
    const __m512i hs01 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i hs23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    // lane 4g..4g+3 take scale g of four
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    for (int b = 0; b < cols / 256; b++) {
        for (int half = 0; half < 2; half++) {
            for (int qq = 0; qq < 2; qq++) { // elements 64 qq .. 64 qq + 63 of the half
                __m512i c[TILE];
                __m512 ws[TILE];
                for (int p = 0; p < TILE; p++) {
                    const uint8_t *q = wr[p] + 210 * (int64_t) b;
                    __m512i lo = _mm512_loadu_si512(q + 64 * half);
                    __m256i h = _mm256_loadu_si256((const __m256i *) (q + 128 + 32 * half));
                    __m512i hh = join(h, h);
                    c[p] = qq == 0
                            ? _mm512_or_si512(_mm512_and_si512(lo, low), _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hh, hs01), three), 4))
                            : _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo, 4), low),
                                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hh, hs23), three), 4));
                    __m128i s4 = _mm_cvtsi32_si128(*(const int32_t *) (q + 192 + 8 * half + 4 * qq));
                    __m512 sc = _mm512_cvtepi32_ps(_mm512_permutexvar_epi32(spread, _mm512_cvtepi8_epi32(s4)));
                    ws[p] = _mm512_mul_ps(sc, _mm512_set1_ps(f16(q + 208)));
                }
                int ab = 8 * b + 4 * half + 2 * qq;
                TILE_CHUNK(32 * ab, ab, neg_group_sums(&ar[k], ab, 32))
            }
        }
    }
    TILE_STORE
}

GEMM_SIG(tile_q8_0) {
    TILE_ROWS(34)
    // signed weights: the activations become unsigned (x + 128, an xor of the sign bit) and the dot starts from
    // -128 times the weights' block sums, which vpdpbusd of all-ones with the weights gives
    const __m512i ones = _mm512_set1_epi8(1), flip = _mm512_set1_epi8((char) 0x80);
    for (int b = 0; b + 2 <= cols / 32; b += 2) {
        __m512i c[TILE], st[TILE];
        __m512 ws[TILE];
        for (int p = 0; p < TILE; p++) {
            const uint8_t *p0 = wr[p] + 34 * (int64_t) b;
            c[p] = join(_mm256_loadu_si256((const __m256i *) (p0 + 2)), _mm256_loadu_si256((const __m256i *) (p0 + 36)));
            ws[p] = pair(f16(p0), f16(p0 + 34));
            // -128 * (sum of each 4 weights), lane by lane: the same lanes the dot fills
            st[p] = _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, c[p]), 7);
            st[p] = _mm512_sub_epi32(_mm512_setzero_si512(), st[p]);
        }
        for (int k = 0; k < TILE; k++) {
            __m512i xk = _mm512_xor_si512(_mm512_loadu_si512(ar[k].q + 32 * b), flip);
            __m512 dk = act_scale(&ar[k], b);
            for (int p = 0; p < TILE; p++) {
                __m512i dot = _mm512_dpbusd_epi32(st[p], xk, c[p]);
                sum[p][k] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(dot), ws[p]), dk, sum[p][k]);
            }
        }
    }
    TILE_STORE
}

// A batch of n activation rows: tiles where a tile kernel exists and the blocks fit its step, else row by row.
typedef void (*tile_fn)(const uint8_t *, int64_t, int32_t, int32_t, int32_t, int32_t, const int8_t *, const float *,
                        const int32_t *, const int16_t *, int32_t, float *, int32_t, int32_t);

AVX512 static void tiled(tile_fn f, const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,
                         const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc) {
    for (int32_t i = 0; i < n; i += TILE) {
        for (int32_t r = r0; r < r1; r += TILE) {
            int nr = r1 - r < TILE ? r1 - r : TILE, ni = n - i < TILE ? n - i : TILE;
            f(w, row_bytes, r, nr, i, ni, xq, xd, xs, xs16, cols, y, y_stride, acc);
        }
    }
}

#define BATCHED(NAME, ROWS, TILEFN, STEP)                                                                              \
    AVX512 void NAME(const uint8_t *w, int64_t row_bytes, int32_t r0, int32_t r1, const int8_t *xq, const float *xd,    \
                     const int32_t *xs, const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride,      \
                     int32_t acc) {                                                                                    \
        if (n >= 2 && cols % (STEP) == 0) tiled(TILEFN, w, row_bytes, r0, r1, xq, xd, xs, xs16, cols, n, y, y_stride, acc); \
        else ROWS(w, row_bytes, r0, r1, xq, xd, xs, xs16, cols, n, y, y_stride, acc);                                  \
    }

BATCHED(s4j_q4_0, q4_0_rows, tile_q4_0, 64)
BATCHED(s4j_q8_0, q8_0_rows, tile_q8_0, 64)
BATCHED(s4j_q4_k, q4_k_rows, tile_q4_k, 256)
BATCHED(s4j_q6_k, q6_k_rows, tile_q6_k, 256)
