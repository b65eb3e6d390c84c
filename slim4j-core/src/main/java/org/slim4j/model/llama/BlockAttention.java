package org.slim4j.model.llama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.kernel.NativeKernels;
import org.slim4j.tensor.kernel.VectorExp;

/**
 * Causal grouped-query attention of a prompt batch against a float32 cache, a block of {@link #L} consecutive query rows
 * of one head at a time: the block's queries lie transposed in the vector lanes, so each key's score for all of them
 * is headDim broadcast multiply-adds with no horizontal sums (the row-at-a-time path spends most of its time in the
 * per-key dot's lane reduction); the softmax runs down the lanes, and each value row is read once per four queries.
 * Same formulas as {@link Attention} (scores scaled by 1/sqrt(head dim), max subtracted), in float32 throughout: the
 * exp is {@link VectorExp}'s and the softmax's sum is a float per query, so results agree with the row path to float
 * rounding, not bit for bit.
 */
final class BlockAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Query rows per block: one per lane. */
    static final int L = F.length();

    private final int group, headDim, qDim, window;
    private final float scale;
    private final boolean nativeKernel;

    /**
     * With {@code cKernel} (the engine's {@link org.slim4j.tensor.kernel.EngineOptions#cKernels}) the C kernel
     * ({@code s4j_block_attention}) runs where the library loaded: no JIT warm-up, which cost an evaluation's first
     * chunk; the Java code is its fallback.
     */
    BlockAttention(LlamaConfig c, boolean cKernel) {
        this.nativeKernel = cKernel && NativeKernels.available() && L == 16;
        this.group = c.heads() / c.kvHeads();
        this.headDim = c.headDim();
        this.qDim = c.qDim();
        this.window = c.slidingWindow();
        this.scale = (float) (1.0 / Math.sqrt(c.headDim()));
    }

    /** True when the cache's keys and values are both float32 rows, the only storage this path reads. */
    static boolean serves(KvCache cache) {
        return cache.k instanceof FloatRows && cache.v instanceof FloatRows;
    }

    /** Floats of per-worker scratch for a cache of {@code capacity} positions. */
    int scratch(int capacity) {
        return headDim * L + capacity * L + L;
    }

    /**
     * Query rows [i0, i0 + nq) (nq at most {@link #L}; row i at position pos0 + i) of {@code q} [n][heads * headDim],
     * head {@code head}, against layer l: writes att[i][head * headDim ..].
     */
    void block(KvCache cache, int l, float[] q, int i0, int nq, int pos0, int head, float[] scratch, float[] att) {
        FloatRows keys = (FloatRows) cache.k, values = (FloatRows) cache.v;
        float[] kl = keys.layer(l), vl = values.layer(l);
        int g = head / group, hd = headDim;
        int first = pos0 + i0, last = first + nq - 1; // positions of the block's first and last query
        int from = window > 0 ? Math.max(0, first - window + 1) : 0, span = last - from + 1;
        int st = hd * L, inv = st + span * L; // scratch: qt [hd][L] | scores [span][L] | 1/sum [L]
        if (nativeKernel) {
            NativeKernels.blockAttention(q, qDim, i0, nq, head * hd, kl, vl, keys.offset(g, 0) / hd, keys.slots(), hd, first, from, window, scale, scratch, att);
            return;
        }
        for (int d = 0; d < hd; d++) {
            for (int j = 0; j < L; j++) scratch[d * L + j] = j < nq ? q[(i0 + j) * qDim + head * hd + d] * scale : 0f;
        }
        // scores, four keys at a time: s[t][j] = q_j . k_t
        int t = from;
        for (; t + 3 <= last; t += 4) {
            int o0 = keys.offset(g, t), o1 = keys.offset(g, t + 1), o2 = keys.offset(g, t + 2), o3 = keys.offset(g, t + 3);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd; d++) {
                FloatVector qv = FloatVector.fromArray(F, scratch, d * L);
                a0 = qv.fma(FloatVector.broadcast(F, kl[o0 + d]), a0);
                a1 = qv.fma(FloatVector.broadcast(F, kl[o1 + d]), a1);
                a2 = qv.fma(FloatVector.broadcast(F, kl[o2 + d]), a2);
                a3 = qv.fma(FloatVector.broadcast(F, kl[o3 + d]), a3);
            }
            int s = st + (t - from) * L;
            a0.intoArray(scratch, s);
            a1.intoArray(scratch, s + L);
            a2.intoArray(scratch, s + 2 * L);
            a3.intoArray(scratch, s + 3 * L);
        }
        for (; t <= last; t++) {
            int o = keys.offset(g, t);
            FloatVector a = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) a = FloatVector.fromArray(F, scratch, d * L).fma(FloatVector.broadcast(F, kl[o + d]), a);
            a.intoArray(scratch, st + (t - from) * L);
        }
        // mask: query j sees keys [pos_j - window + 1, pos_j]
        for (int j = 0; j < L; j++) {
            int pos = first + j, lo = window > 0 ? Math.max(from, pos - window + 1) : from;
            for (int tt = from; tt < lo; tt++) scratch[st + (tt - from) * L + j] = Float.NEGATIVE_INFINITY;
            for (int tt = Math.max(pos + 1, from); tt <= last; tt++) scratch[st + (tt - from) * L + j] = Float.NEGATIVE_INFINITY;
        }
        softmax(scratch, st, span, inv);
        // att_j = sum_t p[t][j] v_t / sum_j: one vector of head dims at a time, four queries per pass over the values
        for (int j0 = 0; j0 < nq; j0 += 4) {
            int o0 = (i0 + j0) * qDim + head * hd;
            for (int dv = 0; dv < hd; dv += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0, s = st + j0; i < span; i++, s += L) {
                    FloatVector v = FloatVector.fromArray(F, vl, values.offset(g, from + i) + dv);
                    a0 = v.fma(FloatVector.broadcast(F, scratch[s]), a0);
                    a1 = v.fma(FloatVector.broadcast(F, scratch[s + 1]), a1);
                    a2 = v.fma(FloatVector.broadcast(F, scratch[s + 2]), a2);
                    a3 = v.fma(FloatVector.broadcast(F, scratch[s + 3]), a3);
                }
                a0.mul(scratch[inv + j0]).intoArray(att, o0 + dv);
                if (j0 + 1 < nq) a1.mul(scratch[inv + j0 + 1]).intoArray(att, o0 + qDim + dv);
                if (j0 + 2 < nq) a2.mul(scratch[inv + j0 + 2]).intoArray(att, o0 + 2 * qDim + dv);
                if (j0 + 3 < nq) a3.mul(scratch[inv + j0 + 3]).intoArray(att, o0 + 3 * qDim + dv);
            }
        }
    }

    /**
     * Softmax down the lanes of scores [span][L] at {@code st}, in place, and each lane's 1 / sum at {@code inv} (a
     * padded lane j >= nq scores 0 everywhere and stays finite). A method of its own so the JIT inlines
     * {@link VectorExp#exp} here: in the whole block's method it ran out of inlining budget and boxed every vector.
     */
    private static void softmax(float[] scratch, int st, int span, int inv) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < span; i++) max = max.max(FloatVector.fromArray(F, scratch, st + i * L));
        FloatVector sum = FloatVector.zero(F);
        for (int i = 0; i < span; i++) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, scratch, st + i * L).sub(max));
            e.intoArray(scratch, st + i * L);
            sum = sum.add(e);
        }
        FloatVector.broadcast(F, 1f).div(sum).intoArray(scratch, inv);
    }

    /** True when the head dimension is whole vectors, which {@link #block} needs. */
    boolean fits() {
        return headDim % L == 0;
    }
}
