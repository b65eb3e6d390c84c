package org.slim4j.model.llama;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slim4j.tensor.kernel.WorkerPool;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.InterleavedRows;
import org.slim4j.tensor.kernel.MatVec;
import org.slim4j.tensor.kernel.TensorPanels;
import org.slim4j.tokenizer.Tokenizer;

/**
 * The fast forward pass of a Llama-family decoder: same weights (memory-mapped, any type) and same arithmetic
 * as {@link LlamaModel}, but every matrix goes through the fused {@link MatVec} kernels split by rows over a
 * fixed {@link WorkerPool}, the KV cache is laid out [layer][kv head][position][head dim] so attention reads
 * keys and values sequentially, the residual adds are fused into the output projections, and SwiGLU into the
 * gate/up step. Prompts run in batches of up to {@link #BATCH} positions. Decoding allocates nothing.
 * {@link LlamaModel} stays the reference; this class is tested against it.
 */
public final class FastLlama implements Decoder {
    /** Positions per prefill step (bounds the activation buffers). */
    public static final int BATCH = 128;

    private final LlamaModel model;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Rope rope;
    private final WorkerPool pool;
    private final boolean ownsModel;
    private final boolean act8;

    /** Wraps {@code model}'s weights; {@code threads <= 0} means all cores. Closing this closes the model when {@code ownsModel}. */
    public FastLlama(LlamaModel model, int threads, boolean ownsModel) {
        this(model, threads, ownsModel, ACT8_DEFAULT);
    }

    /**
     * {@code act8}: decode steps quantize each matrix input to int8 per 32-block (as llama.cpp does) and use integer
     * dot products for Q8_0, Q4_0, Q4_K and Q6_K weights; false keeps every product in float32 (the exact path).
     */
    public FastLlama(LlamaModel model, int threads, boolean ownsModel, boolean act8) {
        this.act8 = act8;
        this.model = model;
        this.config = model.config();
        this.weights = model.weights();
        this.rope = new Rope(config, weights.ropeFactors());
        this.ownsModel = ownsModel;
        MatVec.check(weights.output());
        this.pool = WorkerPool.of(threads);
        LlamaWeights.Layer[] ls = weights.layers();
        Tensor[][] mats = new Tensor[ls.length][];
        List<Tensor> all = new ArrayList<>();
        for (int i = 0; i < ls.length; i++) {
            LlamaWeights.Layer l = ls[i];
            mats[i] = new Tensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()};
            for (Tensor t : mats[i]) MatVec.check(t);
            all.addAll(List.of(mats[i]));
        }
        all.add(weights.output());
        Map<Tensor, InterleavedRows> copies = interleave(all);
        TensorPanels[][] lp = new TensorPanels[ls.length][];
        interleaved = new InterleavedRows[ls.length][];
        boolean whole = GEMM_PREFILL;
        for (int i = 0; i < ls.length; i++) {
            lp[i] = new TensorPanels[mats[i].length];
            interleaved[i] = new InterleavedRows[mats[i].length];
            for (int j = 0; j < mats[i].length; j++) {
                interleaved[i][j] = copies.get(mats[i][j]);
                lp[i][j] = panels(mats[i][j], interleaved[i][j]);
                whole &= lp[i][j] != null;
            }
        }
        interleavedOutput = copies.get(weights.output());
        anyInterleaved = !copies.isEmpty();
        TensorPanels out = panels(weights.output(), interleavedOutput);
        this.panels = whole && out != null ? lp : null;
        this.outputPanels = panels != null ? out : null;
        interleavedEmbedding = interleavedOutput != null && interleavedOutput.source() == weights.embedding() ? interleavedOutput : null;
    }

    /**
     * Q4_0 matrices are re-laid with rows interleaved for the int8 decode kernel (and prefill decodes its panels from
     * that copy), after which the file's pages of that tensor are released, so the resident set holds the weight once.
     * -Dslim4j.interleave=false keeps them in the file's layout.
     */
    public static final boolean INTERLEAVE = !"false".equals(System.getProperty("slim4j.interleave"));

    private final Arena arena = Arena.ofShared();
    private final InterleavedRows[][] interleaved; // [layer][q, k, v, o, gate, up, down], null where not re-laid
    private final InterleavedRows interleavedOutput;

    /** The interleaved copies of those of {@code ts} that get one, made in parallel on the pool, each tensor once. */
    private Map<Tensor, InterleavedRows> interleave(List<Tensor> ts) {
        Map<Tensor, InterleavedRows> copies = new IdentityHashMap<>();
        if (!act8 || !INTERLEAVE) return copies;
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>()); // tied or shared matrices: one copy
        List<Tensor> todo = new ArrayList<>();
        for (Tensor t : ts) if (InterleavedRows.supports(t) && seen.add(t)) todo.add(t);
        InterleavedRows[] made = new InterleavedRows[todo.size()];
        if (!todo.isEmpty()) pool.run((p, n, w) -> made[p] = InterleavedRows.of(todo.get(p), arena, true), todo.size());
        for (InterleavedRows r : made) copies.put(r.source(), r);
        return copies;
    }

    /** Layer l's interleaved matrices (q, k, v, o, gate, up, down; null entries stay in the file's layout). */
    InterleavedRows[] interleaved(int l) {
        return interleaved[l];
    }

    private final boolean anyInterleaved;

    boolean hasInterleaved() {
        return anyInterleaved;
    }

    /** GEMM panels of t: decoded from its interleaved copy when it has one (the file's pages may be released). */
    private static TensorPanels panels(Tensor t, InterleavedRows copy) {
        return copy != null ? TensorPanels.of(copy) : TensorPanels.of(t);
    }

    InterleavedRows interleavedOutput() {
        return interleavedOutput;
    }

    /**
     * The embedding table's interleaved copy when it is the output matrix too (tied): token rows are then read from
     * the copy, since faulting single rows of the released file mapped ~450 KB around each (large page-cache folios;
     * 128 random prompt tokens: +57 MB resident on Qwen2.5-0.5B's table).
     */
    InterleavedRows interleavedEmbedding() {
        return interleavedEmbedding;
    }

    private final InterleavedRows interleavedEmbedding;

    /**
     * Prompt batches run every matrix through {@link org.slim4j.tensor.kernel.PackedGemm} on {@link TensorPanels}
     * (weights decoded a 16-row panel at a time); -Dslim4j.gemm=false keeps the 4-row tile path of {@link MatVec}.
     */
    public static final boolean GEMM_PREFILL = !"false".equals(System.getProperty("slim4j.gemm"));

    // [layer][q, k, v, o, gate, up, down] and the output matrix as GEMM panels; null when some matrix cannot be
    private final TensorPanels[][] panels;
    private final TensorPanels outputPanels;

    /** Default for int8 activations: -Dslim4j.act8=false turns them off. */
    public static final boolean ACT8_DEFAULT = !"false".equals(System.getProperty("slim4j.act8"));

    public boolean act8() {
        return act8;
    }

    public int threads() {
        return pool.size();
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    LlamaWeights weights() {
        return weights;
    }

    Rope rope() {
        return rope;
    }

    /** Layer l's panels (q, k, v, o, gate, up, down), or null when prompts take the {@link MatVec} path. */
    TensorPanels[] panels(int l) {
        return panels == null ? null : panels[l];
    }

    TensorPanels outputPanels() {
        return outputPanels;
    }

    WorkerPool pool() {
        return pool;
    }

    @Override
    public Tokenizer tokenizer() {
        return model.tokenizer();
    }

    @Override
    public int autoBos() {
        return model.autoBos();
    }

    @Override
    public FastSession newSession(int capacity) {
        if (capacity <= 0 || capacity > contextLength()) {
            throw new IllegalArgumentException("capacity " + capacity + " must be in [1, " + contextLength() + "]");
        }
        return new FastSession(this, capacity);
    }

    @Override
    public float[] logits(int[] tokens) {
        float[] out = new float[tokens.length * config.vocab()];
        if (tokens.length == 0) return out;
        FastSession s = newSession(tokens.length);
        s.logitsAllRows(tokens, out);
        return out;
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
        if (ownsModel) model.close();
    }
}
