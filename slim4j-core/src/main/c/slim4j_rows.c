// The per-row steps a decoder runs around its matrix products, and the evaluations' per-position statistics, in C where
// the C kernels run: RMSNorm, SwiGLU, log-sum-exp and KL divergence over a row of logits. Each is a few vector
// operations over a long row. In Java they are correct and, once C2 has compiled them, as fast; but until then the
// Vector API runs its Java fallback, and an evaluation's first 512-token chunk spent 1.2 of its 1.4 s there (chunk 0
// against 0.13 s for the next ones). The Java versions (RowKernels, LogitMath) are the fallback and the oracle.

#include <math.h>
#include <stdint.h>
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))

// e^x as VectorExp computes it, operation for operation, so the bits are the same: Cody-Waite reduction with ln 2 split
// in two, e^r by its degree-6 Taylor polynomial, 2^n added into the exponent bits; x below -86 gives 0.
AVX512 static inline __m512 vexp16(__m512 x) {
    const __m512 round = _mm512_set1_ps(12582912.0f);
    __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-86.0f), _CMP_LT_OQ);
    __m512 c = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-86.0f)), _mm512_set1_ps(88.0f));
    __m512 t = _mm512_fmadd_ps(c, _mm512_set1_ps(1.44269504088896341f), round);
    __m512 n = _mm512_sub_ps(t, round);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), c);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 720), _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(round)), 23);
    __m512 e = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), bits));
    return _mm512_mask_blend_ps(tiny, e, _mm512_setzero_ps());
}

// out[i] = in[i] / sqrt(mean(in[i]^2) + eps) * w for rows i < rows of h values (row strides h); the sum of squares by
// 16-lane FMAs, the tail in double, as RowKernels.rmsNorm does.
AVX512 void s4j_rmsnorm(const float *in, int32_t rows, int32_t h, const float *w, float eps, float *out) {
    for (int32_t i = 0; i < rows; i++) {
        const float *x = in + (int64_t) i * h;
        float *y = out + (int64_t) i * h;
        __m512 acc = _mm512_setzero_ps();
        int32_t j = 0;
        for (; j + 16 <= h; j += 16) {
            __m512 a = _mm512_loadu_ps(x + j);
            acc = _mm512_fmadd_ps(a, a, acc);
        }
        double ss = _mm512_reduce_add_ps(acc);
        for (; j < h; j++) ss += (double) x[j] * x[j];
        float inv = (float) (1.0 / sqrt(ss / h + eps));
        __m512 vi = _mm512_set1_ps(inv);
        for (j = 0; j + 16 <= h; j += 16) {
            _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + j), vi), _mm512_loadu_ps(w + j)));
        }
        for (; j < h; j++) y[j] = x[j] * inv * w[j];
    }
}

// gate[i] = silu(gate[i]) * up[i] = gate / (1 + e^-gate) * up for i < n.
AVX512 void s4j_swiglu(float *gate, const float *up, int32_t n) {
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 g = _mm512_loadu_ps(gate + i);
        __m512 d = _mm512_add_ps(vexp16(_mm512_sub_ps(_mm512_setzero_ps(), g)), _mm512_set1_ps(1.0f));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(_mm512_div_ps(g, d), _mm512_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = gate[i] / (1.0f + (float) exp(-gate[i])) * up[i];
}

// The sum of 16 floats widened to double, added to two accumulators (lanes 0-7, 8-15).
AVX512 static inline void widen_add(__m512 v, __m512d *s0, __m512d *s1) {
    *s0 = _mm512_add_pd(*s0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    *s1 = _mm512_add_pd(*s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

// log(sum(e^x)) over x[0, n): the row's max, then e^(x - max) in float summed in double (LogitMath.logSumExp).
AVX512 double s4j_lse(const float *x, int32_t n) {
    int32_t up = n & ~15, i = 0;
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (; i < up; i += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
    float max = _mm512_reduce_max_ps(vmax);
    for (; i < n; i++) max = x[i] > max ? x[i] : max;
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    __m512 vm = _mm512_set1_ps(max);
    for (i = 0; i < up; i += 16) widen_add(vexp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm)), &s0, &s1);
    double s = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; i < n; i++) s += exp((double) (x[i] - max));
    return max + log(s);
}

// KL(P || Q) of two rows of logits with their log-sum-exps known: sum of p (log p - log q), as LogitMath.kl computes it.
AVX512 double s4j_kl(const float *base, double lse_p, const float *cmp, double lse_q, int32_t n) {
    int32_t up = n & ~15, i = 0;
    float hi = (float) lse_p, lo = (float) (lse_p - hi), dl = (float) (lse_p - lse_q);
    __m512 vhi = _mm512_set1_ps(hi), vlo = _mm512_set1_ps(lo), vdl = _mm512_set1_ps(dl);
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    for (; i < up; i += 16) {
        __m512 b = _mm512_loadu_ps(base + i);
        __m512 p = vexp16(_mm512_sub_ps(_mm512_sub_ps(b, vhi), vlo));
        widen_add(_mm512_mul_ps(p, _mm512_sub_ps(_mm512_sub_ps(b, _mm512_loadu_ps(cmp + i)), vdl)), &s0, &s1);
    }
    double kl = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; i < n; i++) {
        double lp = base[i] - lse_p, lq = cmp[i] - lse_q;
        kl += exp(lp) * (lp - lq);
    }
    return kl > 0 ? kl : 0;
}
