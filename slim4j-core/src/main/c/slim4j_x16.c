// Weights re-laid at load with 16 rows interleaved ("x16"), for the C kernels: a 512-bit register then holds the same
// four codes of 16 rows, and one vpdpbusd multiplies them by four activation codes broadcast from memory, so the 16
// rows' sums build up in 16 int32 lanes with no horizontal work and one scale step per 32-element block for all 16 rows.
// (ggml-cpu's repacked q4_0x8 buffers follow the same idea; this layout and code are slim4j's own.)
//
// Per group of 16 rows and per block of the type, a tile:
//   Q4_0  d[16] (f16) | nibble words: for m in 0..3, 16 rows x bytes 4m..4m+3 of the row's 16 nibble bytes
//   Q4_K  d[16], dmin[16] (f16) | scale[8][16], min[8][16] (u8, unpacked from the 12 packed bytes) |
//         for pair j in 0..3, m in 0..7: 16 rows x bytes 4m..4m+3 of the row's 32 bytes of pair j
//   Q5_K  as Q4_K, then fifth-bit words: for m in 0..7, 16 rows x bytes 4m..4m+3 of the row's 32 qh bytes
//   Q6_K  d[16] (f16) | scale[16][16] (i8) | for half h, m in 0..7: 16 rows x ql[64h + 4m ..], 16 rows x
//         ql[64h + 32 + 4m ..], 16 rows x qh[32h + 4m ..]
// A kernel computes y[i * y_stride + r] (+)= dot(W[r], x_i) for rows [16 g0, 16 g1) and activation rows i < n.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))
#define G 16

static inline uint16_t u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline float h2f(uint16_t h) {
    // f16 -> f32 without F16C (packing and row decoding are scalar code that must run anywhere)
    uint32_t sign = (uint32_t) (h >> 15) << 31, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { // subnormal: normalise
            int e = -1;
            do {
                man <<= 1;
                e++;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t) (127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000 | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline void k4_scale_min(const uint8_t *s, int j, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

// tile sizes in bytes, per block and 16 rows
#define T_Q4_0 (32 + 256)
#define T_Q8_0 (32 + 512)
#define T_Q4_K (64 + 256 + 2048)
#define T_Q5_K (T_Q4_K + 512)
#define Q6_WORDS 288
#define T_Q6_K (Q6_WORDS + 3072)

int64_t s4j_x16_bytes(int32_t type, int32_t rows, int32_t cols) {
    int64_t groups = rows / G;
    switch (type) {
        case 2: return groups * (cols / 32) * T_Q4_0;
        case 8: return groups * (cols / 32) * T_Q8_0;
        case 12: return groups * (cols / 256) * T_Q4_K;
        case 13: return groups * (cols / 256) * T_Q5_K;
        case 14: return groups * (cols / 256) * T_Q6_K;
        default: return -1;
    }
}

static int64_t tile_bytes(int32_t type) {
    return type == 2 ? T_Q4_0 : type == 8 ? T_Q8_0 : type == 12 ? T_Q4_K : type == 13 ? T_Q5_K : T_Q6_K;
}

// ggml type ids: Q4_0 2, Q8_0 8, Q4_K 12, Q5_K 13, Q6_K 14. rows must be whole groups of 16.
void s4j_x16_pack(int32_t type, const uint8_t *src, int64_t row_bytes, int32_t rows, int32_t cols, uint8_t *dst) {
    int qk = type == 2 || type == 8 ? 32 : 256, nb = cols / qk;
    int bb = type == 2 ? 18 : type == 8 ? 34 : type == 12 ? 144 : type == 13 ? 176 : 210;
    int64_t tile = tile_bytes(type);
    for (int g = 0; g < rows / G; g++) {
        for (int b = 0; b < nb; b++) {
            uint8_t *t = dst + ((int64_t) g * nb + b) * tile;
            for (int r = 0; r < G; r++) {
                const uint8_t *x = src + (int64_t) (G * g + r) * row_bytes + (int64_t) bb * b;
                if (type == 2) {
                    memcpy(t + 2 * r, x, 2);
                    for (int m = 0; m < 4; m++) memcpy(t + 32 + 64 * m + 4 * r, x + 2 + 4 * m, 4);
                } else if (type == 8) {
                    memcpy(t + 2 * r, x, 2);
                    for (int m = 0; m < 8; m++) memcpy(t + 32 + 64 * m + 4 * r, x + 2 + 4 * m, 4);
                } else if (type == 12 || type == 13) {
                    memcpy(t + 2 * r, x, 2);
                    memcpy(t + 32 + 2 * r, x + 2, 2);
                    for (int j = 0; j < 8; j++) k4_scale_min(x + 4, j, t + 64 + 16 * j + r, t + 192 + 16 * j + r);
                    const uint8_t *qs = x + (type == 12 ? 16 : 48);
                    for (int j = 0; j < 4; j++) {
                        for (int m = 0; m < 8; m++) memcpy(t + 320 + 512 * j + 64 * m + 4 * r, qs + 32 * j + 4 * m, 4);
                    }
                    if (type == 13) {
                        for (int m = 0; m < 8; m++) memcpy(t + T_Q4_K + 64 * m + 4 * r, x + 16 + 4 * m, 4);
                    }
                } else {
                    memcpy(t + 2 * r, x + 208, 2);
                    for (int k = 0; k < 16; k++) t[32 + 16 * k + r] = x[192 + k];
                    for (int h = 0; h < 2; h++) {
                        for (int m = 0; m < 8; m++) {
                            uint8_t *w = t + Q6_WORDS + 192 * (8 * h + m) + 4 * r;
                            memcpy(w, x + 64 * h + 4 * m, 4);
                            memcpy(w + 64, x + 64 * h + 32 + 4 * m, 4);
                            memcpy(w + 128, x + 128 + 32 * h + 4 * m, 4);
                        }
                    }
                }
            }
        }
    }
}

// One row of a packed matrix decoded to floats, with ggml's dequantization formulas (a tied embedding's lookup).
void s4j_x16_row(int32_t type, const uint8_t *p, int32_t cols, int32_t row, float *dst) {
    int qk = type == 2 || type == 8 ? 32 : 256, nb = cols / qk, g = row / G, r = row % G;
    int64_t tile = tile_bytes(type);
    for (int b = 0; b < nb; b++) {
        const uint8_t *t = p + ((int64_t) g * nb + b) * tile;
        float *y = dst + qk * b;
        if (type == 2) {
            float d = h2f(u16(t + 2 * r));
            for (int j = 0; j < 16; j++) {
                uint8_t q = t[32 + 64 * (j / 4) + 4 * r + j % 4];
                y[j] = ((q & 0xF) - 8) * d;
                y[j + 16] = ((q >> 4) - 8) * d;
            }
        } else if (type == 8) {
            float d = h2f(u16(t + 2 * r));
            for (int j = 0; j < 32; j++) y[j] = (int8_t) t[32 + 64 * (j / 4) + 4 * r + j % 4] * d;
        } else if (type == 12 || type == 13) {
            float d = h2f(u16(t + 2 * r)), dmin = h2f(u16(t + 32 + 2 * r));
            for (int j = 0; j < 4; j++) {
                float d1 = d * t[64 + 16 * (2 * j) + r], m1 = dmin * t[192 + 16 * (2 * j) + r];
                float d2 = d * t[64 + 16 * (2 * j + 1) + r], m2 = dmin * t[192 + 16 * (2 * j + 1) + r];
                for (int l = 0; l < 32; l++) {
                    uint8_t q = t[320 + 512 * j + 64 * (l / 4) + 4 * r + l % 4];
                    int h1 = 0, h2 = 0;
                    if (type == 13) {
                        uint8_t h = t[T_Q4_K + 64 * (l / 4) + 4 * r + l % 4];
                        h1 = (h >> (2 * j)) & 1 ? 16 : 0;
                        h2 = (h >> (2 * j + 1)) & 1 ? 16 : 0;
                    }
                    y[64 * j + l] = d1 * ((q & 0xF) + h1) - m1;
                    y[64 * j + 32 + l] = d2 * ((q >> 4) + h2) - m2;
                }
            }
        } else {
            float d = h2f(u16(t + 2 * r));
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    const uint8_t *w = t + Q6_WORDS + 192 * (8 * h + l / 4) + 4 * r + l % 4;
                    uint8_t a = w[0], bq = w[64], hq = w[128];
                    int is = l / 16;
                    const int8_t *sc = (const int8_t *) (t + 32) ;
                    y[128 * h + l] = d * sc[16 * (8 * h + is + 0) + r] * (int) (((a & 0xF) | ((hq & 3) << 4)) - 32);
                    y[128 * h + l + 32] = d * sc[16 * (8 * h + is + 2) + r] * (int) (((bq & 0xF) | (((hq >> 2) & 3) << 4)) - 32);
                    y[128 * h + l + 64] = d * sc[16 * (8 * h + is + 4) + r] * (int) (((a >> 4) | (((hq >> 4) & 3) << 4)) - 32);
                    y[128 * h + l + 96] = d * sc[16 * (8 * h + is + 6) + r] * (int) (((bq >> 4) | (((hq >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }
}

// The four activation rows of a pass (fewer repeat the last; only the real ones are stored).
typedef struct {
    const int8_t *q[4];
    const float *d[4];
    const int32_t *s[4];
    const int16_t *s16[4];
} acts;

#define ACTS(cols)                                                                                                     \
    acts A;                                                                                                            \
    for (int k = 0; k < 4; k++) {                                                                                      \
        int ii = i0 + (k < ni ? k : ni - 1);                                                                           \
        A.q[k] = xq + (int64_t) ii * (cols);                                                                           \
        A.d[k] = xd + (int64_t) ii * ((cols) / 32);                                                                    \
        A.s[k] = xs + (int64_t) ii * ((cols) / 32);                                                                    \
        A.s16[k] = xs16 + (int64_t) ii * ((cols) / 32);                                                                \
    }

AVX512 static inline __m512i bcast(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

AVX512 static inline void store16(float *y, int64_t at, __m512 v, int32_t acc) {
    if (acc) v = _mm512_add_ps(v, _mm512_loadu_ps(y + at));
    _mm512_storeu_ps(y + at, v);
}

#define KERNEL_SIG(NAME)                                                                                                \
    AVX512 void NAME(const uint8_t *p, int32_t g0, int32_t g1, const int8_t *xq, const float *xd, const int32_t *xs,  \
                     const int16_t *xs16, int32_t cols, int32_t n, float *y, int32_t y_stride, int32_t acc)

// ---------------------------------------------------------------------------------------------------------------------
// One pass: 16 rows of group g times NI activation rows from i0. Inlined with NI a constant (1..4), so a decode step
// (NI = 1) does one row's work, not four.
#define PASS_SIG(NAME) \
    AVX512 static inline __attribute__((always_inline)) void NAME(const uint8_t *p, int32_t g, int32_t i0, const int NI, \
            const int8_t *xq, const float *xd, const int32_t *xs, const int16_t *xs16, int32_t cols, float *y, int32_t y_stride, int32_t acc)

#define DISPATCH(PASS)                                                                                                 \
    for (int32_t g = g0; g < g1; g++) {                                                                                \
        for (int32_t i0 = 0; i0 < n; i0 += 4) {                                                                        \
            switch (n - i0 < 4 ? n - i0 : 4) {                                                                         \
                case 1: PASS(p, g, i0, 1, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                            \
                case 2: PASS(p, g, i0, 2, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                            \
                case 3: PASS(p, g, i0, 3, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                            \
                default: PASS(p, g, i0, 4, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                           \
            }                                                                                                          \
        }                                                                                                              \
    }

// As DISPATCH for a K-quant PASS that also takes the group's codes decoded (dec; NULL: the pass rebuilds them from the
// tile). A prompt batch (16 activation rows or more) has DECODE rebuild each group's 8-bit codes once, 4 KB a block,
// and every 4 activation rows read them from there: rebuilding them per 4 rows cost as much as the multiply-adds.
#define ROWS_DECODED(PASS, DEC)                                                                                        \
    for (int32_t i0 = 0; i0 < n; i0 += 4) {                                                                            \
        switch (n - i0 < 4 ? n - i0 : 4) {                                                                             \
            case 1: PASS(p, DEC, g, i0, 1, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                           \
            case 2: PASS(p, DEC, g, i0, 2, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                           \
            case 3: PASS(p, DEC, g, i0, 3, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                           \
            default: PASS(p, DEC, g, i0, 4, xq, xd, xs, xs16, cols, y, y_stride, acc); break;                          \
        }                                                                                                              \
    }

// (The two branches give the compiler dec as NULL or as not NULL, so each inlined pass keeps one way to its codes: one
// loop with both ran the batch at half speed.)
#define DISPATCH_DECODED(PASS, DECODE)                                                                                 \
    uint8_t *dec = n >= 16 ? aligned_alloc(64, (size_t) (cols / 256) * 4096) : NULL;                                   \
    if (dec) {                                                                                                         \
        for (int32_t g = g0; g < g1; g++) {                                                                            \
            DECODE(p, g, cols / 256, dec);                                                                             \
            ROWS_DECODED(PASS, dec)                                                                                    \
        }                                                                                                              \
        free(dec);                                                                                                     \
    } else {                                                                                                           \
        for (int32_t g = g0; g < g1; g++) {                                                                            \
            ROWS_DECODED(PASS, NULL)                                                                                   \
        }                                                                                                              \
    }

PASS_SIG(pass_q4_0) {
    (void) xs16;
    const int nb = cols / 32, ni = NI;
    const __m512i low = _mm512_set1_epi8(0x0F);
    {
        const uint8_t *base = p + (int64_t) g * nb * T_Q4_0;
        {
            ACTS(cols)
            __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int b = 0; b < nb; b++) {
                const uint8_t *t = base + (int64_t) b * T_Q4_0;
                __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) t));
                __m512i a[4];
                for (int k = 0; k < NI; k++) a[k] = _mm512_set1_epi32(-8 * A.s[k][b]);
                for (int m = 0; m < 4; m++) {
                    __m512i v = _mm512_loadu_si512(t + 32 + 64 * m);
                    __m512i lo = _mm512_and_si512(v, low), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
                    for (int k = 0; k < NI; k++) {
                        a[k] = _mm512_dpbusd_epi32(a[k], lo, bcast(A.q[k] + 32 * b + 4 * m));
                        a[k] = _mm512_dpbusd_epi32(a[k], hi, bcast(A.q[k] + 32 * b + 16 + 4 * m));
                    }
                }
                for (int k = 0; k < NI; k++) f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[k]), _mm512_mul_ps(dw, _mm512_set1_ps(A.d[k][b])), f[k]);
            }
            for (int k = 0; k < NI; k++) store16(y, (int64_t) (i0 + k) * y_stride + G * g, f[k], acc);
        }
    }
}

KERNEL_SIG(s4j_x16_q4_0) {
    DISPATCH(pass_q4_0)
}

// Q8_0: signed codes, so the activations go unsigned (x + 128: the sign bit flipped) and the dot starts from -128 times
// the weights' sums, which vpdpbusd of all-ones with the weight words gives lane by lane.
PASS_SIG(pass_q8_0) {
    (void) xs;
    (void) xs16;
    const int nb = cols / 32, ni = NI;
    const __m512i ones = _mm512_set1_epi8(1), flip = _mm512_set1_epi8((char) 0x80);
    const uint8_t *base = p + (int64_t) g * nb * T_Q8_0;
    ACTS(cols)
    __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int b = 0; b < nb; b++) {
        const uint8_t *t = base + (int64_t) b * T_Q8_0;
        __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) t));
        __m512i ws = _mm512_setzero_si512(), a[4];
        for (int k = 0; k < NI; k++) a[k] = _mm512_setzero_si512();
        for (int m = 0; m < 8; m++) {
            __m512i v = _mm512_loadu_si512(t + 32 + 64 * m);
            ws = _mm512_dpbusd_epi32(ws, ones, v);
            for (int k = 0; k < NI; k++) a[k] = _mm512_dpbusd_epi32(a[k], _mm512_xor_si512(bcast(A.q[k] + 32 * b + 4 * m), flip), v);
        }
        __m512i corr = _mm512_slli_epi32(ws, 7);
        for (int k = 0; k < NI; k++) {
            f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(a[k], corr)), _mm512_mul_ps(dw, _mm512_set1_ps(A.d[k][b])), f[k]);
        }
    }
    for (int k = 0; k < NI; k++) store16(y, (int64_t) (i0 + k) * y_stride + G * g, f[k], acc);
}

KERNEL_SIG(s4j_x16_q8_0) {
    DISPATCH(pass_q8_0)
}

// Asymmetric 4-bit with an integer zero per row and 32-block (compressed-tensors' int4 asym, groups of 32k): per 16 rows
// and block, s[16] (f16) | z[16] (u8, the zero point plus 8) | the nibble words as Q4_0's, codes plus 8. The weight is
// s (q - z): the dot starts from -z times the block's activation sum, lane by lane, all in integers.
#define T_Q4Z (32 + 16 + 256)

PASS_SIG(pass_q4z) {
    (void) xs16;
    const int nb = cols / 32, ni = NI;
    const __m512i low = _mm512_set1_epi8(0x0F);
    const uint8_t *base = p + (int64_t) g * nb * T_Q4Z;
    ACTS(cols)
    __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int b = 0; b < nb; b++) {
        const uint8_t *t = base + (int64_t) b * T_Q4Z;
        __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) t));
        __m512i z = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (t + 32)));
        __m512i a[4];
        for (int k = 0; k < NI; k++) a[k] = _mm512_mullo_epi32(z, _mm512_set1_epi32(-A.s[k][b]));
        for (int m = 0; m < 4; m++) {
            __m512i v = _mm512_loadu_si512(t + 48 + 64 * m);
            __m512i lo = _mm512_and_si512(v, low), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
            for (int k = 0; k < NI; k++) {
                a[k] = _mm512_dpbusd_epi32(a[k], lo, bcast(A.q[k] + 32 * b + 4 * m));
                a[k] = _mm512_dpbusd_epi32(a[k], hi, bcast(A.q[k] + 32 * b + 16 + 4 * m));
            }
        }
        for (int k = 0; k < NI; k++) f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[k]), _mm512_mul_ps(dw, _mm512_set1_ps(A.d[k][b])), f[k]);
    }
    for (int k = 0; k < NI; k++) store16(y, (int64_t) (i0 + k) * y_stride + G * g, f[k], acc);
}

KERNEL_SIG(s4j_x16_q4z) {
    DISPATCH(pass_q4z)
}

// Q4_K and Q5_K: per pair j, sub-block 2j from the low nibbles (plus fifth bit 2j), 2j+1 from the high ones.
AVX512 static inline __attribute__((always_inline)) void k45_codes(const uint8_t *t, int j, int m, int five, __m512i low, __m512i *lo, __m512i *hi) {
    __m512i v = _mm512_loadu_si512(t + 320 + 512 * j + 64 * m);
    *lo = _mm512_and_si512(v, low);
    *hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
    if (five) {
        __m512i h = _mm512_loadu_si512(t + T_Q4_K + 64 * m);
        // bit 2j (2j + 1) of each qh byte moved to bit 4: shifts within 16-bit lanes, one mask
        __m512i h0 = j < 2 ? _mm512_slli_epi16(h, 4 - 2 * j) : j == 2 ? h : _mm512_srli_epi16(h, 2);
        __m512i h1 = j < 2 ? _mm512_slli_epi16(h, 3 - 2 * j) : _mm512_srli_epi16(h, 2 * j - 3);
        *lo = _mm512_or_si512(*lo, _mm512_and_si512(h0, _mm512_set1_epi8(0x10)));
        *hi = _mm512_or_si512(*hi, _mm512_and_si512(h1, _mm512_set1_epi8(0x10)));
    }
}

// dec: as for Q6_K, the group's codes rebuilt once for a prompt batch (Q5_K), or NULL
AVX512 static inline __attribute__((always_inline)) void x16_k45(const uint8_t *p, const uint8_t *dec, int32_t g, int32_t i0, const int NI,
        const int8_t *xq, const float *xd, const int32_t *xs, const int16_t *xs16, int32_t cols, float *y, int32_t y_stride,
        int32_t acc, int five) {
    (void) xs16;
    const int nb = cols / 256, ni = NI;
    const int64_t tile = five ? T_Q5_K : T_Q4_K;
    const __m512i low = _mm512_set1_epi8(0x0F);
    {
        const uint8_t *base = p + (int64_t) g * nb * tile;
        {
            ACTS(cols)
            __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int b = 0; b < nb; b++) {
                const uint8_t *t = base + (int64_t) b * tile;
                __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) t));
                __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (t + 32)));
                for (int j = 0; j < 4; j++) {
                    __m512i a0[4], a1[4];
                    for (int k = 0; k < NI; k++) a0[k] = a1[k] = _mm512_setzero_si512();
                    const int ab = 8 * b + 2 * j;
                    for (int m = 0; m < 8; m++) {
                        __m512i lo, hi;
                        if (dec) {
                            const uint8_t *w = dec + (int64_t) (32 * b + 8 * j + m) * 128;
                            lo = _mm512_load_si512(w);
                            hi = _mm512_load_si512(w + 64);
                        } else {
                            k45_codes(t, j, m, five, low, &lo, &hi);
                        }
                        for (int k = 0; k < NI; k++) {
                            a0[k] = _mm512_dpbusd_epi32(a0[k], lo, bcast(A.q[k] + 32 * ab + 4 * m));
                            a1[k] = _mm512_dpbusd_epi32(a1[k], hi, bcast(A.q[k] + 32 * ab + 32 + 4 * m));
                        }
                    }
                    __m512 s0 = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (t + 64 + 16 * (2 * j))))));
                    __m512 s1 = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (t + 64 + 16 * (2 * j + 1))))));
                    __m512 m0 = _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (t + 192 + 16 * (2 * j))))));
                    __m512 m1 = _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *) (t + 192 + 16 * (2 * j + 1))))));
                    for (int k = 0; k < NI; k++) {
                        float dx0 = A.d[k][ab], dx1 = A.d[k][ab + 1];
                        f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a0[k]), _mm512_mul_ps(s0, _mm512_set1_ps(dx0)), f[k]);
                        f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a1[k]), _mm512_mul_ps(s1, _mm512_set1_ps(dx1)), f[k]);
                        f[k] = _mm512_fnmadd_ps(m0, _mm512_set1_ps(dx0 * (float) A.s[k][ab]), f[k]);
                        f[k] = _mm512_fnmadd_ps(m1, _mm512_set1_ps(dx1 * (float) A.s[k][ab + 1]), f[k]);
                    }
                }
            }
            for (int k = 0; k < NI; k++) store16(y, (int64_t) (i0 + k) * y_stride + G * g, f[k], acc);
        }
    }
}

PASS_SIG(pass_q4_k) {
    x16_k45(p, NULL, g, i0, NI, xq, xd, xs, xs16, cols, y, y_stride, acc, 0);
}

AVX512 static inline __attribute__((always_inline)) void q5_pass(const uint8_t *p, const uint8_t *dec, int32_t g, int32_t i0,
        const int NI, const int8_t *xq, const float *xd, const int32_t *xs, const int16_t *xs16, int32_t cols, float *y,
        int32_t y_stride, int32_t acc) {
    x16_k45(p, dec, g, i0, NI, xq, xd, xs, xs16, cols, y, y_stride, acc, 1);
}

// Group g's Q5_K codes with their fifth bits, for DISPATCH_DECODED.
AVX512 static void q5_decode(const uint8_t *p, int32_t g, int nb, uint8_t *dec) {
    const __m512i low = _mm512_set1_epi8(0x0F);
    const uint8_t *base = p + (int64_t) g * nb * T_Q5_K;
    for (int b = 0; b < nb; b++) {
        for (int j = 0; j < 4; j++) {
            for (int m = 0; m < 8; m++) {
                __m512i lo, hi;
                k45_codes(base + (int64_t) b * T_Q5_K, j, m, 1, low, &lo, &hi);
                uint8_t *w = dec + (int64_t) (32 * b + 8 * j + m) * 128;
                _mm512_store_si512(w, lo);
                _mm512_store_si512(w + 64, hi);
            }
        }
    }
}

KERNEL_SIG(s4j_x16_q4_k) {
    DISPATCH(pass_q4_k)
}

KERNEL_SIG(s4j_x16_q5_k) {
    DISPATCH_DECODED(q5_pass, q5_decode)
}

// Q6_K: per half h and word m (elements l = 4m..4m+3), ql word A (bytes l), ql word B (bytes 32 + l), qh word H give the
// codes of elements l, 32 + l, 64 + l, 96 + l (quarters 0..3); group (quarter q, l / 16) has its own scale; codes 0..63
// minus 32. The three words of (h, m) lie side by side and are read once, in the order they are stored: the words read
// in storage order let the hardware prefetcher stream the tiles (read in three interleaved streams, as an earlier
// layout had them, this kernel reached under half the memory bandwidth).
AVX512 static inline __attribute__((always_inline)) void q6_codes(const uint8_t *t, int h, int m, __m512i low, __m512i two, __m512i *c) {
    const uint8_t *w = t + Q6_WORDS + 192 * (8 * h + m);
    __m512i va = _mm512_loadu_si512(w), vb = _mm512_loadu_si512(w + 64), vh = _mm512_loadu_si512(w + 128);
    c[0] = _mm512_or_si512(_mm512_and_si512(va, low), _mm512_and_si512(_mm512_slli_epi16(vh, 4), two));
    c[1] = _mm512_or_si512(_mm512_and_si512(vb, low), _mm512_and_si512(_mm512_slli_epi16(vh, 2), two));
    c[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(va, 4), low), _mm512_and_si512(vh, two));
    c[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(vb, 4), low), _mm512_and_si512(_mm512_srli_epi16(vh, 2), two));
}

// One pass of Q6_K over 16 rows and NI activation rows. The codes come from the tile (dec == NULL: rebuilt from the
// ql/qh words on the fly, a decode step's way) or from dec, the group's codes rebuilt once for a whole prompt batch.
AVX512 static inline __attribute__((always_inline)) void q6_pass(const uint8_t *p, const uint8_t *dec, int32_t g, int32_t i0,
        const int NI, const int8_t *xq, const float *xd, const int32_t *xs, const int16_t *xs16, int32_t cols, float *y,
        int32_t y_stride, int32_t acc) {
    const int nb = cols / 256, ni = NI;
    const uint8_t *base = p + (int64_t) g * nb * T_Q6_K;
    const __m512i low = _mm512_set1_epi8(0x0F), two = _mm512_set1_epi8(0x30);
    ACTS(cols)
    __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int b = 0; b < nb; b++) {
        const uint8_t *t = base + (int64_t) b * T_Q6_K;
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) t));
        for (int h = 0; h < 2; h++) {
            const int ab = 8 * b + 4 * h; // activation block of quarter 0; quarter q is ab + q
            for (int lh = 0; lh < 2; lh++) { // elements 16 lh .. 16 lh + 15 of each quarter: one scale each
                __m512i a[4][4];
                for (int q = 0; q < 4; q++) {
                    for (int k = 0; k < NI; k++) {
                        a[q][k] = _mm512_set1_epi32(-32 * (lh == 0 ? A.s16[k][ab + q] : A.s[k][ab + q] - A.s16[k][ab + q]));
                    }
                }
                for (int mm = 0; mm < 4; mm++) {
                    const int m = 4 * lh + mm;
                    __m512i c[4];
                    if (dec) {
                        const uint8_t *w = dec + (int64_t) (16 * b + 8 * h + m) * 256;
                        for (int q = 0; q < 4; q++) c[q] = _mm512_loadu_si512(w + 64 * q);
                    } else {
                        q6_codes(t, h, m, low, two, c);
                    }
                    for (int q = 0; q < 4; q++) {
                        for (int k = 0; k < NI; k++) a[q][k] = _mm512_dpbusd_epi32(a[q][k], c[q], bcast(A.q[k] + 32 * (ab + q) + 4 * m));
                    }
                }
                for (int q = 0; q < 4; q++) {
                    __m512 sc = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (t + 32 + 16 * (8 * h + 2 * q + lh))))));
                    for (int k = 0; k < NI; k++) f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[q][k]), _mm512_mul_ps(sc, _mm512_set1_ps(A.d[k][ab + q])), f[k]);
                }
            }
        }
    }
    for (int k = 0; k < NI; k++) store16(y, (int64_t) (i0 + k) * y_stride + G * g, f[k], acc);
}

// Group g's Q6_K codes, for DISPATCH_DECODED.
AVX512 static void q6_decode(const uint8_t *p, int32_t g, int nb, uint8_t *dec) {
    const __m512i low = _mm512_set1_epi8(0x0F), two = _mm512_set1_epi8(0x30);
    const uint8_t *base = p + (int64_t) g * nb * T_Q6_K;
    for (int b = 0; b < nb; b++) {
        for (int h = 0; h < 2; h++) {
            for (int m = 0; m < 8; m++) {
                __m512i c[4];
                q6_codes(base + (int64_t) b * T_Q6_K, h, m, low, two, c);
                uint8_t *w = dec + (int64_t) (16 * b + 8 * h + m) * 256;
                for (int q = 0; q < 4; q++) _mm512_store_si512(w + 64 * q, c[q]);
            }
        }
    }
}

KERNEL_SIG(s4j_x16_q6_k) {
    DISPATCH_DECODED(q6_pass, q6_decode)
}
