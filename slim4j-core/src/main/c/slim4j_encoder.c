// The steps around the matrix products that an encoder runs on every token, in C where the C kernels run: quantizing
// activations to int8 per 32-block (llama.cpp's quantize_row_q8_0), the products' epilogue (bias, residual, exact GELU)
// while the tile is hot, and one head of self-attention over one text. Java's FastBert runs the same steps with the
// Vector API when the C kernels are off, and is the oracle these are tested against.

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))

// e^x for x <= 88: 2^k e^r with r in [-ln2/2, ln2/2], e^r by a degree-6 polynomial (relative error ~2e-7); large
// negative x flushes to 0.
AVX512 static inline __m512 exp16(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f), ln2hi = _mm512_set1_ps(0.693359375f), ln2lo = _mm512_set1_ps(-2.12194440e-4f);
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, ln2lo, _mm512_fnmadd_ps(k, ln2hi, x));
    __m512 p = _mm512_set1_ps(1.3981999507e-3f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, k);
}

// GELU x Phi(x) through erfc by Numerical Recipes' Chebyshev fit (relative error below 1.2e-7), as GeluErf does.
AVX512 static inline __m512 gelu16(__m512 x) {
    __m512 z = _mm512_abs_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_fmadd_ps(t, _mm512_set1_ps(0.17087277f), _mm512_set1_ps(-0.82215223f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
    __m512 half = _mm512_mul_ps(_mm512_mul_ps(t, exp16(_mm512_sub_ps(p, _mm512_mul_ps(z, z)))), _mm512_set1_ps(0.5f));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 phi = _mm512_mask_blend_ps(neg, _mm512_sub_ps(_mm512_set1_ps(1.0f), half), half);
    return _mm512_mul_ps(x, phi);
}

// y[i, c0 .. c1) += bias[c] (+ residual[i, c]), then GELU, for rows i < n; c0, c1 whole 16-column strips.
AVX512 void s4j_epilogue(float *y, int32_t ld, int32_t n, int32_t c0, int32_t c1, const float *bias, const float *residual, int32_t gelu) {
    for (int32_t i = 0; i < n; i++) {
        for (int32_t c = c0; c < c1; c += 16) {
            int64_t o = (int64_t) i * ld + c;
            __m512 v = _mm512_loadu_ps(y + o);
            if (bias) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + c));
            if (residual) v = _mm512_add_ps(v, _mm512_loadu_ps(residual + o));
            if (gelu) v = gelu16(v);
            _mm512_storeu_ps(y + o, v);
        }
    }
}

// Rows of n values (n a multiple of 32) quantized per 32-block: codes rounded half away from zero to [-127, 127] with
// scale amax / 127 (llama.cpp's quantize_row_q8_0), the block's code sum, the sum of its first 16, the codes as shorts
// too and scale times sum (what the Java integer kernels read).
AVX512 void s4j_quantize_q8(const float *x, int32_t count, int8_t *q8, int16_t *q16, float *d, float *s, int32_t *sum, int16_t *sum16) {
    for (int32_t b = 0; b < count / 32; b++) {
        const float *v = x + 32 * b;
        __m512 a0 = _mm512_loadu_ps(v), a1 = _mm512_loadu_ps(v + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a0), _mm512_abs_ps(a1)));
        float db = amax / 127.0f, inv = amax != 0 ? 127.0f / amax : 0.0f;
        __m512 iv = _mm512_set1_ps(inv), half = _mm512_set1_ps(0.5f);
        __m512 t0 = _mm512_mul_ps(a0, iv), t1 = _mm512_mul_ps(a1, iv);
        // round half away from zero: add +-0.5 then truncate
        __m512i r0 = _mm512_cvttps_epi32(_mm512_add_ps(t0, _mm512_or_ps(half, _mm512_and_ps(t0, _mm512_castsi512_ps(_mm512_set1_epi32((int) 0x80000000))))));
        __m512i r1 = _mm512_cvttps_epi32(_mm512_add_ps(t1, _mm512_or_ps(half, _mm512_and_ps(t1, _mm512_castsi512_ps(_mm512_set1_epi32((int) 0x80000000))))));
        _mm_storeu_si128((__m128i *) (q8 + 32 * b), _mm512_cvtepi32_epi8(r0));
        _mm_storeu_si128((__m128i *) (q8 + 32 * b + 16), _mm512_cvtepi32_epi8(r1));
        _mm256_storeu_si256((__m256i *) (q16 + 32 * b), _mm512_cvtepi32_epi16(r0));
        _mm256_storeu_si256((__m256i *) (q16 + 32 * b + 16), _mm512_cvtepi32_epi16(r1));
        int first = _mm512_reduce_add_epi32(r0), total = first + _mm512_reduce_add_epi32(r1);
        d[b] = db;
        s[b] = db * total;
        sum[b] = total;
        sum16[b] = (int16_t) first;
    }
}

// One head of one text's self-attention: rows [0, n) of qkv (row stride ld; Q at column q0, K at k0, V at v0, head
// width dh), softmax(Q K^T / sqrt(dh)) V into ctx (row stride ldc, at column c0). scores: n floats of scratch.
AVX512 void s4j_attention(const float *qkv, int32_t ld, int32_t n, int32_t q0, int32_t k0, int32_t v0, int32_t dh,
                          float *ctx, int32_t ldc, int32_t c0, float *scores) {
    float scale = 1.0f / sqrtf((float) dh);
    for (int32_t i = 0; i < n; i++) {
        const float *qi = qkv + (int64_t) i * ld + q0;
        float max = -INFINITY;
        for (int32_t j = 0; j < n; j++) {
            const float *kj = qkv + (int64_t) j * ld + k0;
            __m512 acc = _mm512_setzero_ps();
            int32_t t = 0;
            for (; t + 16 <= dh; t += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(qi + t), _mm512_loadu_ps(kj + t), acc);
            float sc = _mm512_reduce_add_ps(acc);
            for (; t < dh; t++) sc += qi[t] * kj[t];
            sc *= scale;
            scores[j] = sc;
            if (sc > max) max = sc;
        }
        __m512 sum = _mm512_setzero_ps(), mx = _mm512_set1_ps(max);
        int32_t j = 0;
        for (; j + 16 <= n; j += 16) {
            __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(scores + j), mx));
            _mm512_storeu_ps(scores + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (j < n) {
            __mmask16 m = (__mmask16) ((1u << (n - j)) - 1);
            __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + j), mx)));
            _mm512_mask_storeu_ps(scores + j, m, e);
            sum = _mm512_add_ps(sum, e);
        }
        float inv = 1.0f / _mm512_reduce_add_ps(sum);
        float *ci = ctx + (int64_t) i * ldc + c0;
        for (int32_t t = 0; t < dh; t += 16) {
            __mmask16 m = dh - t >= 16 ? 0xFFFF : (__mmask16) ((1u << (dh - t)) - 1);
            __m512 acc = _mm512_setzero_ps();
            for (int32_t jj = 0; jj < n; jj++) {
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, qkv + (int64_t) jj * ld + v0 + t), _mm512_set1_ps(scores[jj]), acc);
            }
            _mm512_mask_storeu_ps(ci + t, m, _mm512_mul_ps(acc, _mm512_set1_ps(inv)));
        }
    }
}

// The float GEMM's 512-bit tile (PackedGemm.wide6's arithmetic, in the same order, so the same bits): rows [r0, r1) of
// a (lda floats a row) times two 16-column panels b, b2 (k-major, 16 floats per k, from bo / bo2) over k in [k0, k1),
// into c's columns col..col+31 (ldc floats a row), starting from zero when first, else from c. Six rows at a time in
// twelve accumulators: per k two panel loads, six broadcasts, twelve FMAs.
AVX512 void s4j_sgemm2(const float *a, int32_t lda, int32_t r0, int32_t r1, int32_t k0, int32_t k1, const float *b, int32_t bo,
                       const float *b2, int32_t bo2, float *c, int32_t ldc, int32_t col, int32_t first) {
    for (int32_t r = r0; r < r1; r += 6) {
        int32_t rows = r1 - r < 6 ? r1 - r : 6;
        const float *ar[6];
        for (int i = 0; i < 6; i++) ar[i] = a + (int64_t) (r + (i < rows ? i : rows - 1)) * lda;
        __m512 acc[6][2];
        for (int i = 0; i < 6; i++) {
            const float *ci = c + (int64_t) (r + (i < rows ? i : rows - 1)) * ldc + col;
            acc[i][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(ci);
            acc[i][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(ci + 16);
        }
        const float *p0 = b + bo, *p1 = b2 + bo2;
        for (int32_t k = k0; k < k1; k++, p0 += 16, p1 += 16) {
            __m512 w0 = _mm512_loadu_ps(p0), w1 = _mm512_loadu_ps(p1);
            for (int i = 0; i < 6; i++) {
                __m512 x = _mm512_set1_ps(ar[i][k]);
                acc[i][0] = _mm512_fmadd_ps(w0, x, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(w1, x, acc[i][1]);
            }
        }
        for (int i = 0; i < rows; i++) {
            float *ci = c + (int64_t) (r + i) * ldc + col;
            _mm512_storeu_ps(ci, acc[i][0]);
            _mm512_storeu_ps(ci + 16, acc[i][1]);
        }
    }
}

// The lanes (query rows j of a block) that see the key d = t - first positions after the block's first query: j >= d,
// and with a window, j <= d + window - 1.
static inline __mmask16 seen_by(int32_t d, int32_t window) {
    int32_t lo = d < 0 ? 0 : d, hi = window > 0 && d + window - 1 < 15 ? d + window - 1 : 15;
    return lo > hi ? 0 : (__mmask16) (((1u << (hi + 1)) - 1) & ~((1u << lo) - 1));
}

// Causal attention of a decoder's prompt batch, BlockAttention's algorithm (model/llama/BlockAttention.java): query rows
// [i0, i0 + nq) (nq <= 16; row i at position first + i - i0) of one head (columns q_off.. of q, q_dim floats a row)
// lie transposed in the 16 lanes; key and value t of the head's kv group are at (kv0 + t % slots) * hd in keys and
// values. Lane j sees keys [max(from, pos_j - window + 1), pos_j] (window 0: from on). Scratch: hd * 16 + span * 16
// floats. Writes att's rows [i0, i0 + nq), columns q_off .. q_off + hd - 1 (hd a multiple of 16).
AVX512 void s4j_block_attention(const float *q, int32_t q_dim, int32_t i0, int32_t nq, int32_t q_off, const float *keys,
                                const float *values, int64_t kv0, int32_t slots, int32_t hd, int32_t first, int32_t from,
                                int32_t window, float scale, float *scratch, float *att) {
    float *qt = scratch, *st = scratch + (int64_t) hd * 16;
    const int32_t last = first + nq - 1, span = last - from + 1;
    for (int32_t d = 0; d < hd; d++) {
        for (int j = 0; j < 16; j++) qt[d * 16 + j] = j < nq ? q[(int64_t) (i0 + j) * q_dim + q_off + d] * scale : 0.0f;
    }
    int32_t t = from;
    for (; t + 3 <= last; t += 4) {
        const float *k0 = keys + (kv0 + t % slots) * hd, *k1 = keys + (kv0 + (t + 1) % slots) * hd;
        const float *k2 = keys + (kv0 + (t + 2) % slots) * hd, *k3 = keys + (kv0 + (t + 3) % slots) * hd;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t d = 0; d < hd; d++) {
            __m512 qv = _mm512_loadu_ps(qt + d * 16);
            a0 = _mm512_fmadd_ps(qv, _mm512_set1_ps(k0[d]), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_set1_ps(k1[d]), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_set1_ps(k2[d]), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_set1_ps(k3[d]), a3);
        }
        float *s = st + (int64_t) (t - from) * 16;
        _mm512_storeu_ps(s, a0);
        _mm512_storeu_ps(s + 16, a1);
        _mm512_storeu_ps(s + 32, a2);
        _mm512_storeu_ps(s + 48, a3);
    }
    for (; t <= last; t++) {
        const float *k0 = keys + (kv0 + t % slots) * hd;
        __m512 a0 = _mm512_setzero_ps();
        for (int32_t d = 0; d < hd; d++) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(qt + d * 16), _mm512_set1_ps(k0[d]), a0);
        _mm512_storeu_ps(st + (int64_t) (t - from) * 16, a0);
    }
    __m512 max = _mm512_set1_ps(-__builtin_inff()), sum = _mm512_setzero_ps();
    for (int32_t i = 0; i < span; i++) {
        max = _mm512_mask_max_ps(max, seen_by(from + i - first, window), max, _mm512_loadu_ps(st + (int64_t) i * 16));
    }
    for (int32_t i = 0; i < span; i++) {
        __mmask16 m = seen_by(from + i - first, window);
        __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_loadu_ps(st + (int64_t) i * 16), max)));
        _mm512_storeu_ps(st + (int64_t) i * 16, e);
        sum = _mm512_add_ps(sum, e);
    }
    float inv[16];
    _mm512_storeu_ps(inv, _mm512_div_ps(_mm512_set1_ps(1.0f), sum));
    for (int32_t j0 = 0; j0 < nq; j0 += 4) {
        for (int32_t dv = 0; dv < hd; dv += 16) {
            __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int32_t i = 0; i < span; i++) {
                __m512 v = _mm512_loadu_ps(values + (kv0 + (from + i) % slots) * hd + dv);
                const float *p = st + (int64_t) i * 16 + j0;
                for (int u = 0; u < 4; u++) a[u] = _mm512_fmadd_ps(v, _mm512_set1_ps(p[u]), a[u]);
            }
            for (int u = 0; u < 4 && j0 + u < nq; u++) {
                _mm512_storeu_ps(att + (int64_t) (i0 + j0 + u) * q_dim + q_off + dv, _mm512_mul_ps(a[u], _mm512_set1_ps(inv[j0 + u])));
            }
        }
    }
}
