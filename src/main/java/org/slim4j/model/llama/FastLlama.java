package org.slim4j.model.llama;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.BoundMatrix;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.tensor.kernel.InterleavedRows;
import org.slim4j.tensor.kernel.MatVec;
import org.slim4j.tensor.kernel.WorkerPool;
import org.slim4j.tokenizer.Tokenizer;

/**
 * The fast forward pass of a Llama-family decoder: same weights (memory-mapped, any type) and same arithmetic as
 * {@link LlamaModel}, but every matrix is bound once to its type's kernels ({@link BoundMatrix}: fused
 * dequantize-and-dot, int8 activations, Q4_0 re-laid with rows interleaved, GEMM panels for prompt batches) and split
 * by rows over a fixed {@link WorkerPool}; the residual adds are fused into the output projections and SwiGLU into the
 * gate/up step. Prompts run in batches of up to {@link #BATCH} positions ({@link FastSession}). Decoding allocates
 * nothing. {@link LlamaModel} stays the reference; this class is tested against it.
 */
public final class FastLlama implements Decoder {
    /** Positions per prefill step (bounds the activation buffers). */
    public static final int BATCH = 128;
    /**
     * Positions per step when logits of whole sequences are asked for (evaluations): a 512-token chunk in one step
     * decodes each weight panel once instead of four times.
     */
    public static final int EVAL_BATCH = 512;

    /** One decoder layer's matrices, bound, and its vectors. */
    record Layer(float[] attnNorm, BoundMatrix q, BoundMatrix k, BoundMatrix v, float[] bq, float[] bk, float[] bv,
                 BoundMatrix o, float[] ffnNorm, BoundMatrix gate, BoundMatrix up, BoundMatrix down) {
        /** True when prompt batches can run every matrix of the layer as a GEMM. */
        boolean gemm() {
            return q.panels() != null && k.panels() != null && v.panels() != null && o.panels() != null
                    && gate.panels() != null && up.panels() != null && down.panels() != null;
        }
    }

    private final LlamaModel model;
    private final LlamaConfig config;
    private final EngineOptions options;
    private final Rope rope;
    private final Attention attention;
    private final WorkerPool pool;
    private final boolean ownsModel;
    private final Arena arena = Arena.ofShared();
    private final Layer[] layers;
    private final BoundMatrix output, embedding;
    private final boolean gemm, anyInterleaved;

    /** Wraps {@code model}'s weights; {@code threads <= 0} means all cores. Closing this closes the model when {@code ownsModel}. */
    public FastLlama(LlamaModel model, int threads, boolean ownsModel) {
        this(model, EngineOptions.defaults().withThreads(Math.max(0, threads)), ownsModel);
    }

    /** With the engine's options: threads, int8 activations, the Q4_0 re-layout, GEMM prefill (see {@link EngineOptions}). */
    public FastLlama(LlamaModel model, EngineOptions options, boolean ownsModel) {
        this.model = model;
        this.config = model.config();
        this.options = options;
        this.ownsModel = ownsModel;
        LlamaWeights w = model.weights();
        this.rope = new Rope(config, w.ropeFactors());
        this.attention = new Attention(config);
        KvCache.check(config, options.kvCache()); // a cache type the model's heads cannot take fails at load, not at the first session
        this.pool = WorkerPool.of(options.threads());
        List<Tensor> all = new ArrayList<>();
        for (LlamaWeights.Layer l : w.layers()) all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()));
        all.add(w.output());
        for (Tensor t : all) MatVec.check(t);
        Map<Tensor, InterleavedRows> copies = relayout(all);
        this.anyInterleaved = !copies.isEmpty();
        this.layers = new Layer[w.layers().length];
        boolean everyGemm = true;
        for (int i = 0; i < layers.length; i++) {
            LlamaWeights.Layer l = w.layers()[i];
            layers[i] = new Layer(l.attnNorm(), bind(l.wq(), copies), bind(l.wk(), copies), bind(l.wv(), copies), l.bq(), l.bk(), l.bv(),
                    bind(l.wo(), copies), l.ffnNorm(), bind(l.wGate(), copies), bind(l.wUp(), copies), bind(l.wDown(), copies));
            everyGemm &= layers[i].gemm();
        }
        this.output = bind(w.output(), copies);
        this.gemm = everyGemm && output.panels() != null;
        // a tied embedding reads its token rows from the output matrix's copy: faulting single rows of the released file
        // mapped ~450 KB around each (large page-cache folios; 128 random prompt tokens: +57 MB resident on Qwen2.5-0.5B)
        this.embedding = w.embedding() == w.output() ? output : BoundMatrix.of(w.embedding(), options.withGemmPrefill(false));
    }

    private BoundMatrix bind(Tensor t, Map<Tensor, InterleavedRows> copies) {
        return BoundMatrix.of(t, copies.get(t), options);
    }

    /**
     * The re-laid copies of those matrices whose type is re-laid (Q4_0) for the int8 decode kernel, made in parallel on
     * the pool, each tensor once; the file's pages of a copied tensor are released, so the resident set holds the
     * weight once.
     */
    private Map<Tensor, InterleavedRows> relayout(List<Tensor> ts) {
        Map<Tensor, InterleavedRows> copies = new IdentityHashMap<>();
        if (!options.act8() || !options.interleave()) return copies;
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>()); // tied or shared matrices: one copy
        List<Tensor> todo = new ArrayList<>();
        for (Tensor t : ts) if (InterleavedRows.supports(t) && seen.add(t)) todo.add(t);
        InterleavedRows[] made = new InterleavedRows[todo.size()];
        if (!todo.isEmpty()) pool.run((p, n, worker) -> made[p] = InterleavedRows.of(todo.get(p), arena, true), todo.size());
        for (InterleavedRows r : made) copies.put(r.source(), r);
        return copies;
    }

    public EngineOptions options() {
        return options;
    }

    public boolean act8() {
        return options.act8();
    }

    public int threads() {
        return pool.size();
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    Layer layer(int l) {
        return layers[l];
    }

    BoundMatrix output() {
        return output;
    }

    BoundMatrix embedding() {
        return embedding;
    }

    /** True when prompt batches run every matrix as a GEMM on its panels. */
    boolean gemm() {
        return gemm;
    }

    /** True when some matrix is re-laid: decode shares are then whole {@link InterleavedRows#ROWS}-row groups. */
    boolean hasInterleaved() {
        return anyInterleaved;
    }

    LlamaWeights weights() {
        return model.weights();
    }

    Rope rope() {
        return rope;
    }

    Attention attention() {
        return attention;
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
        return new FastSession(this, capacity, BATCH);
    }

    @Override
    public float[] logits(int[] tokens) {
        return logits(tokens, 0, tokens.length);
    }

    @Override
    public float[] logits(int[] tokens, int from, int to) {
        if (from < 0 || to > tokens.length || from > to) throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + tokens.length);
        float[] out = new float[(to - from) * config.vocab()];
        if (from == to) return out;
        if (to > contextLength()) throw new IllegalArgumentException(to + " positions exceed the context of " + contextLength());
        new FastSession(this, to, EVAL_BATCH).logits(tokens, from, to, out);
        return out;
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
        if (ownsModel) model.close();
    }
}
