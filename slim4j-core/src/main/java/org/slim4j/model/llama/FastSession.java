package org.slim4j.model.llama;

import org.slim4j.tensor.kernel.BoundMatrix;
import org.slim4j.tensor.kernel.InterleavedRows;
import org.slim4j.tensor.kernel.MatVec;
import org.slim4j.tensor.kernel.PackedGemm;
import org.slim4j.tensor.kernel.Q8Act;
import org.slim4j.tensor.kernel.RowKernels;
import org.slim4j.tensor.kernel.VectorOps;
import org.slim4j.tensor.kernel.WorkerPool;

/**
 * A sequence on {@link FastLlama}: KV cache, activation buffers for up to {@link FastLlama#BATCH} positions (grown to
 * the largest batch run so far: one row for decoding), per-worker scratch, and the parallel steps of every layer. {@link #forward} reads like {@link LlamaModel}'s
 * layer: norm, Q/K/V, RoPE, attention, output projection plus residual, norm, gate/up with SwiGLU, down projection
 * plus residual. Each parallel step is an object bound to its layer's matrices; what changes from call to call is
 * only the batch being run ({@link #n} positions from {@link #pos0}, int8 activations or not). Each matrix meets a
 * batch on its own best path ({@link #intPath}, {@link #gemmPath}): int8 activations through the integer kernels (a
 * decode step; a prompt batch too where the C kernels serve the type), the packed float GEMM, or 4-row tiles.
 * Decoding allocates nothing.
 */
public final class FastSession implements DecoderSession {

    private final FastLlama m;
    private final LlamaConfig c;
    private final WorkerPool pool;
    private final KvCache cache;
    private final int capacity, rows;
    /** Rows per share of a matrix step: whole re-laid groups when the model has them, else whole 4-row tiles. */
    private final int grain;
    /** Rows the buffers below hold now: the largest batch so far, at most {@link #rows}. */
    private int held;
    private float[] x, xb, q, k, v, att, gate, up, cos, sin;
    private final float[] logits;
    private final float[][] scratch, scores; // [worker][...]
    private final BlockAttention blocks; // prompt batches' attention, where the cache is float32; else null
    private float[][] blockScratch; // [worker][...], made at the first prompt batch
    // int8 copies of a step's matrix inputs (xb, att, gate; every row of a batch), made once per step on the calling thread
    private Q8Act qIn, qAtt, qGate;
    private PackedGemm.Epilogue plusX; // an output projection's GEMM adds the residual stream
    private Layer[] layers;
    private final Output output = new Output();
    private final int[] single = new int[1];
    private int position;

    // the batch being run: positions [pos0, pos0 + n); whether its matrix inputs are quantized to int8
    private int n, pos0;
    private boolean act8;

    /** A KV cache of {@code capacity} positions, run in batches of up to {@code batch} positions. */
    FastSession(FastLlama m, int capacity, int batch) {
        this.m = m;
        this.c = m.config();
        this.pool = m.pool();
        this.capacity = capacity;
        this.rows = Math.min(capacity, batch);
        this.cache = new KvCache(c, capacity, rows, m.options().kvCache());
        logits = new float[c.vocab()];
        int workers = pool.size();
        scratch = new float[workers][MatVec.scratchSize(Math.max(Math.max(c.hidden(), c.ffn()), c.qDim()))];
        scores = new float[workers][cache.scoresLength()];
        BlockAttention b = new BlockAttention(c, m.options().cKernels());
        blocks = BlockAttention.serves(cache) && b.fits() ? b : null;
        grain = m.hasInterleaved() ? InterleavedRows.ROWS : MatVec.TILE;
        hold(1);
    }

    /**
     * Buffers for batches of {@code count} rows, made anew when more than they hold: a decode step needs one row, so a
     * session that only decodes after a short prompt does not keep a full batch's buffers (Llama-3.2-1B: ~14 MB).
     */
    private void hold(int count) {
        if (count <= held) return;
        held = count;
        x = new float[held * c.hidden()];
        xb = new float[held * Math.max(c.hidden(), c.qDim())];
        q = new float[held * c.qDim()];
        k = new float[held * c.kvDim()];
        v = new float[held * c.kvDim()];
        att = new float[held * c.qDim()];
        gate = new float[held * c.ffn()];
        up = new float[held * c.ffn()];
        cos = new float[held * c.headDim() / 2];
        sin = new float[held * c.headDim() / 2];
        int batchInt = m.batchInt8() ? held : 1; // prompt batches quantized too where C kernels serve them
        qIn = new Q8Act(batchInt, c.hidden());
        qAtt = new Q8Act(batchInt, c.qDim());
        qGate = new Q8Act(batchInt, c.ffn());
        plusX = new PackedGemm.Epilogue(null, false, x);
        layers = new Layer[c.layers()]; // their output projections are bound to att and gate
        for (int l = 0; l < layers.length; l++) layers[l] = new Layer(l, m.layer(l));
    }

    @Override
    public float[] prefill(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        for (int i = 0; i < tokens.length; i += rows) forward(tokens, i, Math.min(rows, tokens.length - i), logits, -1, -1);
        return logits;
    }

    @Override
    public float[] decode(int token) {
        single[0] = token;
        forward(single, 0, 1, logits, -1, -1);
        return logits;
    }

    /** Logits of positions [from, to) of a fresh sequence of {@code tokens}, into out [to - from][vocab]. */
    void logits(int[] tokens, int from, int to, float[] out) {
        reset();
        for (int i = 0; i < to; i += rows) forward(tokens, i, Math.min(rows, to - i), out, from, to);
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

    @Override
    public long cacheBytes() {
        return cache.bytes();
    }

    /**
     * Runs tokens[off, off + len) at the next positions. Logits: with {@code from >= 0}, of the batch's rows among
     * positions [from, to), into out at row (position - from); else of the last row, into out.
     */
    private void forward(int[] tokens, int off, int len, float[] out, int from, int to) {
        int h = c.hidden();
        if (position + len > capacity) throw new IllegalArgumentException("positions up to " + (position + len) + " exceed the cache's " + capacity);
        hold(len);
        for (int i = 0; i < len; i++) {
            int t = tokens[off + i];
            if (t < 0 || t >= c.vocab()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + c.vocab() + ")");
            m.embedding().decodeRow(t, x, i * h);
        }
        pos0 = position;
        batch(len);
        m.rope().tables(pos0, n, cos, sin);
        for (Layer layer : layers) layer.forward();
        position += n;
        if (from >= 0) {
            int lo = Math.max(from, pos0) - pos0, hi = Math.min(to, pos0 + n) - pos0;
            if (lo >= hi) return;
            rmsNorm(x, lo, xb, m.weights().outputNorm(), hi - lo);
            batch(hi - lo);
            quantize(qIn, xb, c.hidden());
            float[] dst = pos0 + lo == from ? out : new float[(hi - lo) * c.vocab()]; // a batch not at out's first row
            output.run(dst);
            if (dst != out) System.arraycopy(dst, 0, out, (pos0 + lo - from) * c.vocab(), dst.length);
        } else {
            rmsNorm(x, n - 1, xb, m.weights().outputNorm(), 1);
            batch(1); // one row of logits, after a prompt batch too: the output matrix may be held re-laid only
            quantize(qIn, xb, h);
            output.run(out);
        }
    }

    /** The next steps run {@code rows} rows; int8 activations for a decode step, or a batch where C kernels serve it. */
    private void batch(int rows) {
        n = rows;
        act8 = m.act8() && (n == 1 || m.batchInt8());
    }

    /** The n rows of {@code in} as int8 when this batch quantizes its activations. */
    private void quantize(Q8Act q, float[] in, int cols) {
        if (act8) q.quantizeRows(in, 0, n, cols);
    }

    /** True when matrix w takes this batch on int8 activations: any integer kernel for one row, a C one for several. */
    private boolean intPath(BoundMatrix w) {
        return act8 && (n == 1 ? w.int8() : w.nativeInt());
    }

    /** True when matrix w takes this batch as a packed float GEMM. */
    private boolean gemmPath(BoundMatrix w) {
        return n > 1 && !intPath(w) && w.panels() != null;
    }

    /** One decoder layer's steps, bound to its matrices once. */
    private final class Layer {
        private final int l;
        private final FastLlama.Layer w;
        private final WorkerPool.Job qkv = this::qkv, attention = this::attention, attentionBlocks = this::attentionBlocks, gateUp = this::gateUp;
        private final Residual wo, down;

        Layer(int l, FastLlama.Layer w) {
            this.l = l;
            this.w = w;
            this.wo = new Residual(w.o(), att, qAtt);
            this.down = new Residual(w.down(), gate, qGate);
        }

        void forward() {
            int h = c.hidden();
            rmsNorm(x, 0, xb, w.attnNorm(), n);
            quantize(qIn, xb, h);
            pool.run(qkv, parts(c.qDim() + 2 * c.kvDim(), grain));
            if (w.bq() != null) {
                for (int i = 0; i < n; i++) {
                    VectorOps.axpy(1f, w.bq(), 0, q, i * c.qDim(), c.qDim());
                    VectorOps.axpy(1f, w.bk(), 0, k, i * c.kvDim(), c.kvDim());
                    VectorOps.axpy(1f, w.bv(), 0, v, i * c.kvDim(), c.kvDim());
                }
            }
            m.rope().apply(q, n, c.heads(), cos, sin);
            m.rope().apply(k, n, c.kvHeads(), cos, sin);
            cache.store(l, k, v, n, pos0);
            if (n > 1 && blocks != null) {
                if (blockScratch == null) blockScratch = new float[pool.size()][blocks.scratch(capacity)];
                pool.run(attentionBlocks, parts(c.heads() * ((n + BlockAttention.L - 1) / BlockAttention.L), 1));
            } else {
                pool.run(attention, parts(n * c.heads(), 1));
            }
            quantize(qAtt, att, c.qDim());
            wo.run();
            rmsNorm(x, 0, xb, w.ffnNorm(), n);
            quantize(qIn, xb, h);
            pool.run(gateUp, parts(c.ffn(), grain));
            if (n > 1) pool.run(swiglu, parts(c.ffn(), grain));
            quantize(qGate, gate, c.ffn());
            down.run();
        }

        /** Q, K and V: for a decode step, shares of their rows laid end to end; for a batch, a share of each. */
        private void qkv(int part, int parts, int worker) {
            if (n > 1) {
                share(w.q(), xb, qIn, q, PackedGemm.Epilogue.NONE, false, part, parts, worker);
                share(w.k(), xb, qIn, k, PackedGemm.Epilogue.NONE, false, part, parts, worker);
                share(w.v(), xb, qIn, v, PackedGemm.Epilogue.NONE, false, part, parts, worker);
                return;
            }
            int qd = c.qDim(), kd = c.kvDim(), total = qd + 2 * kd;
            int a = WorkerPool.from(total, part, parts, grain), b = WorkerPool.from(total, part + 1, parts, grain);
            endToEnd(w.q(), 0, qd, a, b, q, worker);
            endToEnd(w.k(), qd, kd, a, b, k, worker);
            endToEnd(w.v(), qd + kd, kd, a, b, v, worker);
        }

        /** The rows of one matrix that fall in [a, b) of the rows laid end to end, the matrix's first at {@code start}. */
        private void endToEnd(BoundMatrix mat, int start, int count, int a, int b, float[] out, int worker) {
            int r0 = Math.max(a, start) - start, r1 = Math.min(b, start + count) - start;
            if (r0 < r1) mul(mat, r0, r1, qIn, xb, out, count, false, worker);
        }

        /** Causal attention; work units are (row, head) pairs split contiguously over workers. */
        private void attention(int part, int parts, int worker) {
            int heads = c.heads(), units = n * heads;
            for (int u = WorkerPool.from(units, part, parts, 1), end = WorkerPool.from(units, part + 1, parts, 1); u < end; u++) {
                m.attention().row(cache, l, q, u / heads, pos0, u % heads, scores[worker], att);
            }
        }

        /** Causal attention of a prompt batch, {@link BlockAttention}'s way; work units are (query block, head) pairs. */
        private void attentionBlocks(int part, int parts, int worker) {
            int heads = c.heads(), units = heads * ((n + BlockAttention.L - 1) / BlockAttention.L);
            for (int u = WorkerPool.from(units, part, parts, 1), end = WorkerPool.from(units, part + 1, parts, 1); u < end; u++) {
                int i0 = u / heads * BlockAttention.L;
                blocks.block(cache, l, q, i0, Math.min(BlockAttention.L, n - i0), pos0, u % heads, blockScratch[worker], att);
            }
        }

        /** Gate and up; a decode step applies SwiGLU to its share at once, a batch in a step of its own ({@link #swiglu}). */
        private void gateUp(int part, int parts, int worker) {
            int f = c.ffn();
            if (n > 1) {
                share(w.gate(), xb, qIn, gate, PackedGemm.Epilogue.NONE, false, part, parts, worker);
                share(w.up(), xb, qIn, up, PackedGemm.Epilogue.NONE, false, part, parts, worker);
                return;
            }
            int a = WorkerPool.from(f, part, parts, grain), b = WorkerPool.from(f, part + 1, parts, grain);
            if (a >= b) return;
            mul(w.gate(), a, b, qIn, xb, gate, f, false, worker);
            mul(w.up(), a, b, qIn, xb, up, f, false, worker);
            silu(a, b);
        }

        /** gate = silu(gate) * up over a batch's rows, once gate and up are complete. */
        private final WorkerPool.Job swiglu = (part, parts, worker) -> {
            int f = c.ffn(), a = WorkerPool.from(f, part, parts, grain), b = WorkerPool.from(f, part + 1, parts, grain);
            for (int i = 0; i < n; i++) silu(i * f + a, i * f + b);
        };
    }

    /** gate[r] = silu(gate[r]) * up[r] for r in [from, to). */
    private void silu(int from, int to) {
        RowKernels.swiglu(gate, up, from, to, m.options().cKernels());
    }

    /**
     * Part {@code part} of {@code parts} of out = W in for every row of the batch: a share of W's panels through the
     * GEMM (with epilogue e), or a share of W's rows through the row kernels (accumulating into out when residual).
     */
    private void share(BoundMatrix w, float[] in, Q8Act qa, float[] out, PackedGemm.Epilogue e, boolean residual, int part, int parts, int worker) {
        if (gemmPath(w)) {
            PackedGemm.run(in, n, w.panels(), e, out, part, parts, m.options().cKernels());
            return;
        }
        int rows = w.rows(), a = WorkerPool.from(rows, part, parts, grain), b = WorkerPool.from(rows, part + 1, parts, grain);
        if (a < b) mul(w, a, b, qa, in, out, rows, residual, worker);
    }

    /** x += W in: an output projection (attention's, or the FFN's down) with the residual add fused in. */
    private final class Residual implements WorkerPool.Job {
        private final BoundMatrix w;
        private final float[] in;
        private final Q8Act qa;

        Residual(BoundMatrix w, float[] in, Q8Act qa) {
            this.w = w;
            this.in = in;
            this.qa = qa;
        }

        void run() {
            pool.run(this, parts(c.hidden(), grain));
            if (gemmPath(w)) System.arraycopy(xb, 0, x, 0, n * c.hidden()); // the GEMM wrote x + W in into xb
        }

        @Override
        public void run(int part, int parts, int worker) {
            share(w, in, qa, gemmPath(w) ? xb : x, plusX, true, part, parts, worker);
        }
    }

    /** The output matrix over the final norm's rows in xb: logits. */
    private final class Output implements WorkerPool.Job {
        private float[] out;

        void run(float[] out) {
            this.out = out;
            pool.run(this, parts(c.vocab(), grain));
            this.out = null;
        }

        @Override
        public void run(int part, int parts, int worker) {
            share(m.output(), xb, qIn, out, PackedGemm.Epilogue.NONE, false, part, parts, worker);
        }
    }

    private int parts(int units, int align) {
        return pool.parts(units, align);
    }

    /**
     * Rows [r0, r1) of a matrix times this batch's input: integer kernels on {@code qa} where the matrix takes the int8
     * path (its re-laid copy when it has one), float kernels on {@code in} for every row of the batch otherwise.
     */
    private void mul(BoundMatrix w, int r0, int r1, Q8Act qa, float[] in, float[] out, int stride, boolean acc, int worker) {
        if (!intPath(w)) w.rows(r0, r1, in, n, out, stride, acc, scratch[worker]);
        else if (n == 1) w.rows(r0, r1, qa, in, out, acc, scratch[worker]);
        else w.rows(r0, r1, qa, n, out, stride, acc);
    }

    /** Rows [row, row + count) of {@code in}, normalised into rows [0, count) of {@code out}. */
    private void rmsNorm(float[] in, int row, float[] out, float[] weight, int count) {
        RowKernels.rmsNorm(in, row * c.hidden(), count, c.hidden(), weight, c.rmsEps(), out, 0, m.options().cKernels());
    }
}
