package org.slim4j.model.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.slim4j.model.chat.ChatTemplate;
import org.slim4j.tokenizer.Tokenizer;
import org.slim4j.util.BadInputException;
import org.slim4j.util.MappedPages;

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
                 BoundMatrix o, float[] ffnNorm, BoundMatrix gate, BoundMatrix up, BoundMatrix down) {}

    private final LlamaModel model;
    private final LlamaConfig config;
    private final EngineOptions options;
    private final Rope rope;
    private final Attention attention;
    private final WorkerPool pool;
    private final boolean ownsModel;
    private final Arena arena;
    private final boolean view; // shares another instance's weights and arena: closing it stops only its pool
    private final Layer[] layers;
    private final BoundMatrix output, embedding;
    private final boolean batchInt8, anyInterleaved;
    // the session logits() ran last, for the next call (an evaluation's chunks); null while a call holds it
    private final java.util.concurrent.atomic.AtomicReference<FastSession> evalSession = new java.util.concurrent.atomic.AtomicReference<>();

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
        this.arena = Arena.ofShared();
        this.view = false;
        LlamaWeights w = model.weights();
        this.rope = new Rope(config, w.ropeFactors());
        this.attention = new Attention(config);
        KvCache.check(config, options.kvCache()); // a cache type the model's heads cannot take fails at load, not at the first session
        this.pool = WorkerPool.of(options.threads());
        List<Tensor> all = new ArrayList<>();
        for (LlamaWeights.Layer l : w.layers()) all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()));
        all.add(w.output());
        for (Tensor t : all) MatVec.check(t);
        if (w.embedding() != w.output()) all.add(w.embedding());
        Map<Tensor, Object> copies = own(all);
        this.anyInterleaved = copies.values().stream().anyMatch(c -> c instanceof InterleavedRows || c instanceof BoundMatrix);
        this.layers = new Layer[w.layers().length];
        boolean anyNativeInt = false;
        for (int i = 0; i < layers.length; i++) {
            LlamaWeights.Layer l = w.layers()[i];
            layers[i] = new Layer(l.attnNorm(), bind(l.wq(), copies), bind(l.wk(), copies), bind(l.wv(), copies), l.bq(), l.bk(), l.bv(),
                    bind(l.wo(), copies), l.ffnNorm(), bind(l.wGate(), copies), bind(l.wUp(), copies), bind(l.wDown(), copies));
            for (BoundMatrix b : List.of(layers[i].q(), layers[i].k(), layers[i].v(), layers[i].o(), layers[i].gate(), layers[i].up(), layers[i].down())) {
                anyNativeInt |= b.nativeInt();
            }
        }
        this.output = bind(w.output(), copies);
        this.batchInt8 = options.act8() && (anyNativeInt || output.nativeInt());
        // a tied embedding reads its token rows from the output matrix's copy: faulting single rows of the released file
        // mapped ~450 KB around each (large page-cache folios; 128 random prompt tokens: +57 MB resident on Qwen2.5-0.5B)
        this.embedding = w.embedding() == w.output() ? output : bind(w.embedding(), copies, options.withGemmPrefill(false));
    }

    private FastLlama(FastLlama shared, int threads) {
        this.model = shared.model;
        this.config = shared.config;
        this.options = shared.options.withThreads(threads);
        this.ownsModel = false;
        this.arena = shared.arena;
        this.view = true;
        this.rope = shared.rope;
        this.attention = shared.attention;
        this.layers = shared.layers;
        this.output = shared.output;
        this.embedding = shared.embedding;
        this.batchInt8 = shared.batchInt8;
        this.anyInterleaved = shared.anyInterleaved;
        this.pool = WorkerPool.of(threads);
    }

    /**
     * Another handle on these weights with its own {@code threads} workers (0: all cores), for callers that evaluate
     * concurrently (one pool runs one job at a time, and a session belongs to one thread): the weights are held once
     * however many handles run. Closing the handle stops its workers only; the weights live until this instance is
     * closed.
     */
    public FastLlama withThreads(int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all cores), got " + threads);
        return new FastLlama(this, threads);
    }

    private BoundMatrix bind(Tensor t, Map<Tensor, Object> copies) {
        return bind(t, copies, options);
    }

    private static BoundMatrix bind(Tensor t, Map<Tensor, Object> copies, EngineOptions o) {
        return switch (copies.get(t)) {
            case InterleavedRows r -> BoundMatrix.of(t, r, o);
            case BoundMatrix b -> b;
            case Tensor copy -> BoundMatrix.of(copy, o);
            default -> throw new IllegalStateException(t + " was not copied");
        };
    }

    /**
     * Every matrix in memory the engine owns, made in parallel on the pool, each tensor once: re-laid with 16 rows
     * interleaved where the C kernels read that (Q4_0, Q4_K, Q5_K, Q6_K), with 32 where the Java int8 kernel does (Q4_0
     * without the C kernels), else copied as it is. The file's
     * pages are released as each part is copied, so the resident set holds the weights once, and nothing reads the
     * mapped file after loading: a file truncated or replaced underneath a running model cannot fault it.
     */
    private Map<Tensor, Object> own(List<Tensor> ts) {
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>()); // tied or shared matrices: one copy
        List<Tensor> todo = new ArrayList<>();
        for (Tensor t : ts) if (seen.add(t)) todo.add(t);
        Object[] made = new Object[todo.size()];
        boolean relay = options.act8() && options.interleave();
        pool.run((p, n, worker) -> {
            Tensor t = todo.get(p);
            try {
                if (BoundMatrix.x16(t, options)) {
                    made[p] = BoundMatrix.x16(t, arena, options);
                } else if (relay && BoundMatrix.relaid(t, options)) {
                    made[p] = InterleavedRows.of(t, arena, true);
                } else {
                    MemorySegment copy = arena.allocate(t.data().byteSize(), 64);
                    MappedPages.copyReleasing(t.data(), copy);
                    made[p] = new Tensor(t.name(), t.dtype(), t.shape(), copy);
                }
            } catch (InternalError e) { // the JVM's report of a fault reading a mapped file
                throw new BadInputException("model file", "tensor '" + t.name() + "'", "could not be read: the file was truncated or replaced while loading");
            }
        }, todo.size());
        Map<Tensor, Object> copies = new IdentityHashMap<>();
        for (int i = 0; i < made.length; i++) copies.put(todo.get(i), made[i]);
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

    /** True when prompt batches quantize their activations too: some matrix has a C int8 kernel, which serves batches. */
    boolean batchInt8() {
        return batchInt8;
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
    public ChatTemplate chatTemplate() {
        return model.chatTemplate();
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
        checkRows(tokens, from, to);
        float[] out = new float[(to - from) * config.vocab()];
        logits(tokens, from, to, out);
        return out;
    }

    /**
     * Into {@code out}, on a session kept between calls (an evaluation's next chunk reuses its cache and buffers; a
     * call that finds it taken by another thread, or too small, makes its own).
     */
    @Override
    public void logits(int[] tokens, int from, int to, float[] out) {
        checkRows(tokens, from, to);
        if (out.length < (long) (to - from) * config.vocab()) throw new IllegalArgumentException("out holds " + out.length + " floats, " + (to - from) + " rows need more");
        if (from == to) return;
        if (to > contextLength()) throw new IllegalArgumentException(to + " positions exceed the context of " + contextLength());
        FastSession s = evalSession.getAndSet(null);
        if (s == null || s.capacity() < to) s = new FastSession(this, to, EVAL_BATCH);
        s.logits(tokens, from, to, out);
        evalSession.set(s);
    }

    private static void checkRows(int[] tokens, int from, int to) {
        if (from < 0 || to > tokens.length || from > to) throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + tokens.length);
    }

    @Override
    public void close() {
        pool.close();
        if (view) return;
        arena.close();
        if (ownsModel) model.close();
    }
}
