package org.slim4j.model.llama;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.kernel.WorkerPool;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.InterleavedRows;
import org.slim4j.tensor.kernel.MatVec;
import org.slim4j.tensor.kernel.PackedGemm;
import org.slim4j.tensor.kernel.TensorPanels;
import org.slim4j.tensor.kernel.Q8Act;
import org.slim4j.tensor.kernel.VectorOps;

/**
 * A sequence on {@link FastLlama}: KV cache, activation buffers for {@link FastLlama#BATCH} positions, per-worker
 * scratch, all allocated once. The session is itself the pool's job: {@link #step} says which parallel step runs,
 * so no lambda or task object is created per token.
 */
public final class FastSession implements DecoderSession, WorkerPool.Job {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int QKV = 0, ATTENTION = 1, WO = 2, GATE_UP = 3, DOWN = 4, OUTPUT = 5;

    private final FastLlama m;
    private final LlamaConfig c;
    private final int capacity, rows;
    private final float[][] kCache, vCache; // [layer][kvHead][position][headDim]
    private final float[] x, xb, q, k, v, att, gate, up, cos, sin, logits;
    private final float[][] scratch, scores;
    // int8 copies of the decode step's matrix inputs (xb, att, gate), made once per step on the calling thread
    private final Q8Act qIn, qAtt, qGate;
    private boolean act8; // this step quantizes its activations
    private int position;

    // the current step's arguments
    private int step, n, pos0, outRows;
    private LlamaWeights.Layer w;
    private TensorPanels[] lp; // this layer's GEMM panels when the step takes several positions, else null
    private InterleavedRows[] il; // this layer's interleaved matrices (null entries: the file's layout)
    private final PackedGemm.Epilogue plusX; // output projections' GEMM adds the residual stream
    private static final int PQ = 0, PK = 1, PV = 2, PO = 3, PGATE = 4, PUP = 5, PDOWN = 6;
    private float[] stepLogits;
    private float[] outX;

    FastSession(FastLlama m, int capacity) {
        this.m = m;
        this.c = m.config();
        this.capacity = capacity;
        this.rows = Math.min(capacity, FastLlama.BATCH);
        int kvSize = Math.multiplyExact(capacity, c.kvDim());
        kCache = new float[c.layers()][kvSize];
        vCache = new float[c.layers()][kvSize];
        x = new float[rows * c.hidden()];
        xb = new float[rows * Math.max(c.hidden(), c.qDim())];
        q = new float[rows * c.qDim()];
        k = new float[rows * c.kvDim()];
        v = new float[rows * c.kvDim()];
        att = new float[rows * c.qDim()];
        gate = new float[rows * c.ffn()];
        up = new float[rows * c.ffn()];
        cos = new float[rows * c.headDim() / 2];
        sin = new float[rows * c.headDim() / 2];
        logits = new float[c.vocab()];
        int workers = m.pool().size();
        int maxCols = Math.max(Math.max(c.hidden(), c.ffn()), c.qDim());
        scratch = new float[workers][MatVec.scratchSize(maxCols)];
        scores = new float[workers][capacity];
        qIn = new Q8Act(c.hidden());
        qAtt = new Q8Act(c.qDim());
        qGate = new Q8Act(c.ffn());
        plusX = new PackedGemm.Epilogue(null, false, x);
        grain = m.hasInterleaved() ? InterleavedRows.ROWS : MatVec.TILE;
    }

    @Override
    public float[] prefill(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        for (int i = 0; i < tokens.length; i += rows) {
            int len = Math.min(rows, tokens.length - i);
            forward(tokens, i, len, logits, false);
        }
        return logits;
    }

    private final int[] single = new int[1];

    @Override
    public float[] decode(int token) {
        single[0] = token;
        forward(single, 0, 1, logits, false);
        return logits;
    }

    /** Logits for every position of a fresh sequence, [tokens.length][vocab]. */
    void logitsAllRows(int[] tokens, float[] out) {
        reset();
        for (int i = 0; i < tokens.length; i += rows) {
            int len = Math.min(rows, tokens.length - i);
            float[] part = new float[len * c.vocab()];
            forward(tokens, i, len, part, true);
            System.arraycopy(part, 0, out, i * c.vocab(), part.length);
        }
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void reset() {
        position = 0;
    }

    private void forward(int[] tokens, int off, int len, float[] out, boolean allRows) {
        int h = c.hidden();
        if (position + len > capacity) {
            throw new IllegalArgumentException("positions up to " + (position + len) + " exceed the cache's " + capacity);
        }
        Tensor emb = m.weights().embedding();
        for (int i = 0; i < len; i++) {
            int t = tokens[off + i];
            if (t < 0 || t >= c.vocab()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + c.vocab() + ")");
            if (m.interleavedEmbedding() != null) m.interleavedEmbedding().decodeRow(t, x, i * h);
            else Dequant.decode(emb.dtype(), emb.data(), t * emb.rowBytes(), x, i * h, h);
        }
        n = len;
        pos0 = position;
        act8 = m.act8() && n == 1;
        m.rope().tables(pos0, n, cos, sin);
        WorkerPool pool = m.pool();
        for (int l = 0; l < c.layers(); l++) {
            w = m.weights().layers()[l];
            lp = n > 1 ? m.panels(l) : null;
            il = m.interleaved(l);
            rmsNorm(x, xb, w.attnNorm(), n);
            if (act8) qIn.quantize(xb, 0, h);
            run(pool, QKV);
            if (w.bq() != null) {
                for (int i = 0; i < n; i++) {
                    VectorOps.axpy(1f, w.bq(), 0, q, i * c.qDim(), c.qDim());
                    VectorOps.axpy(1f, w.bk(), 0, k, i * c.kvDim(), c.kvDim());
                    VectorOps.axpy(1f, w.bv(), 0, v, i * c.kvDim(), c.kvDim());
                }
            }
            m.rope().apply(q, n, c.heads(), cos, sin);
            m.rope().apply(k, n, c.kvHeads(), cos, sin);
            storeKv(l);
            layer = l;
            run(pool, ATTENTION);
            if (act8) qAtt.quantize(att, 0, c.qDim());
            run(pool, WO);
            if (lp != null) System.arraycopy(xb, 0, x, 0, n * h); // the GEMM wrote x + W att into xb
            rmsNorm(x, xb, w.ffnNorm(), n);
            if (act8) qIn.quantize(xb, 0, h);
            run(pool, GATE_UP);
            if (act8) qGate.quantize(gate, 0, c.ffn());
            run(pool, DOWN);
            if (lp != null) System.arraycopy(xb, 0, x, 0, n * h);
        }
        position += n;
        lp = null;
        if (allRows) {
            rmsNorm(x, xb, m.weights().outputNorm(), n);
            outRows = n;
        } else {
            System.arraycopy(x, (n - 1) * h, xb, 0, h);
            rmsNorm(xb, xb, m.weights().outputNorm(), 1);
            act8 = m.act8(); // one row of logits, after a prompt batch too: the output matrix may be held interleaved only
            if (act8) qIn.quantize(xb, 0, h);
            outRows = 1;
        }
        stepLogits = out;
        run(pool, OUTPUT);
        stepLogits = null;
    }

    private int layer;

    private void run(WorkerPool pool, int s) {
        step = s;
        int units = switch (s) {
            case QKV -> c.qDim() + 2 * c.kvDim();
            case ATTENTION -> n * c.heads();
            case WO, DOWN -> c.hidden();
            case GATE_UP -> c.ffn();
            default -> c.vocab();
        };
        pool.run(this, pool.parts(units, s == ATTENTION ? 1 : grain));
    }

    private void storeKv(int l) {
        int hd = c.headDim(), kvDim = c.kvDim();
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < c.kvHeads(); g++) {
                int dst = (g * capacity + pos0 + i) * hd;
                System.arraycopy(k, i * kvDim + g * hd, kCache[l], dst, hd);
                System.arraycopy(v, i * kvDim + g * hd, vCache[l], dst, hd);
            }
        }
    }

    @Override
    public void run(int wi, int wn, int worker) {
        if (lp != null || (step == OUTPUT && outRows > 1 && m.outputPanels() != null)) {
            gemmStep(wi, wn, worker);
            return;
        }
        float[] sc = scratch[worker];
        int h = c.hidden();
        switch (step) {
            case QKV -> {
                int qd = c.qDim(), kd = c.kvDim(), total = qd + 2 * kd;
                int a = WorkerPool.from(total, wi, wn, grain), b = WorkerPool.from(total, wi + 1, wn, grain);
                part(PQ, w.wq(), 0, qd, a, b, xb, q, sc);
                part(PK, w.wk(), qd, kd, a, b, xb, k, sc);
                part(PV, w.wv(), qd + kd, kd, a, b, xb, v, sc);
            }
            case ATTENTION -> attention(wi, wn, worker);
            case WO -> {
                int a = WorkerPool.from(h, wi, wn, grain), b = WorkerPool.from(h, wi + 1, wn, grain);
                if (a < b) mul(il[PO], w.wo(), a, b, qAtt, att, x, h, true, sc);
            }
            case GATE_UP -> {
                int f = c.ffn();
                int a = WorkerPool.from(f, wi, wn, grain), b = WorkerPool.from(f, wi + 1, wn, grain);
                if (a >= b) return;
                mul(il[PGATE], w.wGate(), a, b, qIn, xb, gate, f, false, sc);
                mul(il[PUP], w.wUp(), a, b, qIn, xb, up, f, false, sc);
                for (int i = 0; i < n; i++) swiglu(i * f + a, i * f + b);
            }
            case DOWN -> {
                int a = WorkerPool.from(h, wi, wn, grain), b = WorkerPool.from(h, wi + 1, wn, grain);
                if (a < b) mul(il[PDOWN], w.wDown(), a, b, qGate, gate, x, h, true, sc);
            }
            case OUTPUT -> {
                int vocab = c.vocab();
                int a = WorkerPool.from(vocab, wi, wn, grain), b = WorkerPool.from(vocab, wi + 1, wn, grain);
                if (a >= b) return;
                if (act8) mul(m.interleavedOutput(), m.weights().output(), a, b, qIn, xb, stepLogits, vocab, false, sc); // one row
                else MatVec.rows(m.weights().output(), a, b, xb, outRows, stepLogits, vocab, false, sc);
            }
            default -> throw new IllegalStateException("step " + step);
        }
    }

    /**
     * Part {@code wi} of {@code wn} of a step over several positions, as GEMMs on the mapped weights' panels. Output
     * projections add the residual in the GEMM's epilogue and write into xb, which the caller copies back to x.
     */
    private void gemmStep(int wi, int wn, int worker) {
        switch (step) {
            case QKV -> {
                PackedGemm.run(xb, n, lp[PQ], PackedGemm.Epilogue.NONE, q, wi, wn);
                PackedGemm.run(xb, n, lp[PK], PackedGemm.Epilogue.NONE, k, wi, wn);
                PackedGemm.run(xb, n, lp[PV], PackedGemm.Epilogue.NONE, v, wi, wn);
            }
            case ATTENTION -> attention(wi, wn, worker);
            case WO -> PackedGemm.run(att, n, lp[PO], plusX, xb, wi, wn);
            case GATE_UP -> {
                PackedGemm.run(xb, n, lp[PGATE], PackedGemm.Epilogue.NONE, gate, wi, wn);
                PackedGemm.run(xb, n, lp[PUP], PackedGemm.Epilogue.NONE, up, wi, wn);
                int f = c.ffn(), a = PackedGemm.firstColumn(f, wi, wn), b = PackedGemm.firstColumn(f, wi + 1, wn);
                for (int i = 0; i < n; i++) swiglu(i * f + a, i * f + b);
            }
            case DOWN -> PackedGemm.run(gate, n, lp[PDOWN], plusX, xb, wi, wn);
            case OUTPUT -> PackedGemm.run(xb, outRows, m.outputPanels(), PackedGemm.Epilogue.NONE, stepLogits, wi, wn);
            default -> throw new IllegalStateException("step " + step);
        }
    }

    private void swiglu(int from, int to) {
        for (int r = from; r < to; r++) {
            float g = gate[r];
            gate[r] = g / (1f + (float) Math.exp(-g)) * up[r];
        }
    }

    /** The rows of one matrix that fall in this worker's share [a, b) of the concatenated Q/K/V rows. */
    private void part(int j, Tensor t, int start, int count, int a, int b, float[] in, float[] out, float[] sc) {
        int r0 = Math.max(a, start) - start, r1 = Math.min(b, start + count) - start;
        if (r0 < r1) mul(il[j], t, r0, r1, qIn, in, out, count, false, sc);
    }

    /**
     * Rows [r0, r1) of t times this step's input: integer kernels on {@code qa} when the step quantized it, on the
     * interleaved copy {@code iq} when t has one.
     */
    private void mul(InterleavedRows iq, Tensor t, int r0, int r1, Q8Act qa, float[] in, float[] out, int stride, boolean acc, float[] sc) {
        if (act8 && iq != null) iq.rows(r0, r1, qa, in, out, acc, sc);
        else if (act8) MatVec.rows(t, r0, r1, qa, in, out, acc, sc);
        else MatVec.rows(t, r0, r1, in, n, out, stride, acc, sc);
    }

    /**
     * Rows per share of a matrix step: whole {@link InterleavedRows} groups when the model has interleaved copies,
     * else whole {@link MatVec#TILE}s (finer shares balance two threads better on 576- and 896-row matrices).
     */
    private final int grain;

    /** Causal attention; work units are (row, head) pairs split contiguously over workers. */
    private void attention(int wi, int wn, int worker) {
        int heads = c.heads(), hd = c.headDim(), qDim = c.qDim();
        int group = heads / c.kvHeads();
        int window = c.slidingWindow();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = kCache[layer], values = vCache[layer], s = scores[worker];
        int units = n * heads;
        int u0 = WorkerPool.from(units, wi, wn, 1), u1 = WorkerPool.from(units, wi + 1, wn, 1);
        for (int u = u0; u < u1; u++) {
            int i = u / heads, head = u % heads;
            int pos = pos0 + i;
            int from = window > 0 ? Math.max(0, pos - window + 1) : 0;
            int qOff = i * qDim + head * hd;
            int kvBase = (head / group) * capacity * hd;
            float max = Float.NEGATIVE_INFINITY;
            for (int t = from; t <= pos; t++) {
                float sc = VectorOps.dot(q, qOff, keys, kvBase + t * hd, hd) * scale;
                s[t] = sc;
                if (sc > max) max = sc;
            }
            float sum = 0;
            for (int t = from; t <= pos; t++) {
                float e = (float) Math.exp(s[t] - max);
                s[t] = e;
                sum += e;
            }
            float inv = 1f / sum;
            Arrays.fill(att, qOff, qOff + hd, 0f);
            for (int t = from; t <= pos; t++) VectorOps.axpy(s[t] * inv, values, kvBase + t * hd, att, qOff, hd);
        }
    }

    private void rmsNorm(float[] in, float[] out, float[] weight, int rowsToNorm) {
        int h = c.hidden();
        for (int i = 0; i < rowsToNorm; i++) {
            int o = i * h;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j + S.length() <= h; j += S.length()) {
                FloatVector a = FloatVector.fromArray(S, in, o + j);
                acc = a.fma(a, acc);
            }
            double ss = acc.reduceLanes(VectorOperators.ADD);
            for (; j < h; j++) ss += (double) in[o + j] * in[o + j];
            float inv = (float) (1.0 / Math.sqrt(ss / h + c.rmsEps()));
            j = 0;
            for (; j + S.length() <= h; j += S.length()) {
                FloatVector.fromArray(S, in, o + j).mul(inv).mul(FloatVector.fromArray(S, weight, j)).intoArray(out, o + j);
            }
            for (; j < h; j++) out[o + j] = in[o + j] * inv * weight[j];
        }
    }
}
