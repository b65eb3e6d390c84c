package org.slim4j.model.bert;

import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.io.compressed.CompressedTensorsFile;
import org.slim4j.model.Encoder;
import org.slim4j.tensor.kernel.WorkerPool;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.tensor.kernel.F32Panels;
import org.slim4j.tensor.kernel.IntLinear;
import org.slim4j.tensor.kernel.NativeKernels;
import org.slim4j.tensor.kernel.Q8Act;
import org.slim4j.tensor.kernel.IntPanels;
import org.slim4j.tensor.kernel.PackedGemm;
import org.slim4j.tensor.kernel.PackedGemm.Epilogue;
import org.slim4j.tensor.kernel.PanelWeight;
import org.slim4j.tensor.kernel.StackedPanels;
import org.slim4j.tensor.kernel.VectorOps;
import org.slim4j.tokenizer.HfTokenizer;

/**
 * The fast path of a {@link BertModel}: the same computation (each text unpadded, attention within its own rows) on
 * packed weights ({@link PackedGemm}) with Q, K and V in one product, bias, GELU and the residual done in the GEMM's
 * registers, and a worker pool instead of the common ForkJoin pool. Weights stored as integer codes in a
 * compressed-tensors folder stay codes ({@link IntPanels}, decoded chunk by chunk inside the GEMM), so an 8-bit model
 * holds a quarter of the F32 bytes and a 4-bit one an eighth. A batch of several texts is split between the workers,
 * each running its texts through every layer on its own (no synchronisation per layer); a single text has its
 * products split across the workers instead. Agrees with the exact path up to float summation order (tested).
 */
public final class FastBert implements Encoder {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Below this many tokens per worker a batch is not split by texts (too little work to balance). */
    private static final int MIN_TOKENS_PER_WORKER = 24;

    private record Layer(Linear qkv, float[] qkvB, Linear attnOut, float[] attnOutB, float[] ln1g, float[] ln1b,
                         Linear inter, float[] interB, Linear out, float[] outB, float[] ln2g, float[] ln2b) {}

    /**
     * One linear layer as it runs: integer codes through the C kernels on int8 activations ({@link IntLinear}), else
     * packed panels through the float GEMM (float weights, or codes the C kernels cannot take exactly).
     */
    private record Linear(PanelWeight panels, List<IntLinear> ints) {
        long bytes() {
            return ints != null ? ints.stream().mapToLong(IntLinear::bytes).sum() : panels.bytes();
        }

        int rows() {
            return ints.stream().mapToInt(IntLinear::rows).sum();
        }

        /** Bits of each integer weight (a stack may mix them), none for floats. */
        java.util.stream.IntStream bits() {
            if (ints != null) return ints.stream().mapToInt(IntLinear::bits);
            List<PanelWeight> parts = panels instanceof StackedPanels s ? s.parts() : List.of(panels);
            return parts.stream().filter(p -> p instanceof IntPanels).mapToInt(p -> ((IntPanels) p).bits());
        }
    }

    /** Share w of n of one parallel step. */
    private interface Share {
        void run(int w, int n);
    }

    private interface Exec {
        void run(Share j);
    }

    /** One part per thread; a thread that finishes early takes a late one's part. */
    private void onPool(Share j) {
        pool.run((p, n, worker) -> j.run(p, n), pool.size());
    }

    private final BertModel model;
    private final BertConfig config;
    private final List<Layer> layers;
    private final WorkerPool pool;
    private final boolean view; // shares another instance's packed weights and arena: closing it stops only its pool
    private final boolean cKernels;
    private final boolean cTile; // the float GEMM's tile in C ({@link PackedGemm#run})
    private final boolean anyInts; // some linear runs on int8 activations: forward quantizes its inputs
    private final java.lang.foreign.Arena arena;
    private final int maxLength;
    private final String format;
    private final long weightBytes;

    /** True when the fast path takes {@code c}: sizes in whole panels and full-width (unpruned) layers. */
    public static boolean supports(BertConfig c) {
        if (c.hidden() % PanelWeight.WIDTH != 0 || c.headSize() % 8 != 0 || c.intermediate() % PanelWeight.WIDTH != 0) return false;
        for (int l = 0; l < c.layers(); l++) {
            if (c.attentionWidth(l) != c.hidden() || c.intermediateAt(l) != c.intermediate()) return false;
        }
        return true;
    }

    /** {@code maxLength}: tokens per text at most (texts are cut, as tokenizers truncate); 0 for the model's maximum. */
    public FastBert(BertModel model, int threads, int maxLength) {
        this(model, EngineOptions.defaults().withThreads(Math.max(0, threads)), maxLength);
    }

    /**
     * With the engine's options: threads, and whether integer codes (compressed-tensors folders) run through the C
     * kernels on int8 activations ({@link EngineOptions#cKernels}) or as float panels.
     */
    public FastBert(BertModel model, EngineOptions options, int maxLength) {
        this.cKernels = options.cKernels() && options.act8() && NativeKernels.available();
        this.cTile = options.cKernels();
        this.arena = java.lang.foreign.Arena.ofShared();
        int threads = options.threads();
        this.model = model;
        this.config = model.config();
        this.maxLength = maxLength > 0 ? Math.min(maxLength, config.maxPositions()) : config.maxPositions();
        this.layers = new ArrayList<>();
        this.view = false;
        if (!supports(config)) {
            throw new IllegalArgumentException("the fast path needs hidden and intermediate sizes in multiples of 16, heads of 8k and full-width (unpruned) layers, got " + config);
        }
        CompressedTensorsFile codes = model.owner() instanceof CompressedTensorsFile c ? c : null;
        long bytes = 0;
        boolean ints = false, allInts = true;
        java.util.SortedSet<Integer> bits = new java.util.TreeSet<>();
        for (int l = 0; l < config.layers(); l++) {
            BertWeights.Layer L = model.weights().layers().get(l);
            Linear qkv = ints(codes, L.q(), L.k(), L.v());
            if (qkv == null) qkv = new Linear(new StackedPanels(panels(L.q(), codes), panels(L.k(), codes), panels(L.v(), codes)), null);
            Linear o = linear(L.attnOut(), codes), i = linear(L.inter(), codes), d = linear(L.out(), codes);
            Layer layer = new Layer(qkv, concat(L.qb(), L.kb(), L.vb()), o, floats(L.attnOutB()),
                    floats(L.attnNormW()), floats(L.attnNormB()), i, floats(L.interB()), d, floats(L.outB()),
                    floats(L.outNormW()), floats(L.outNormB()));
            layers.add(layer);
            for (Linear w : new Linear[] {qkv, o, i, d}) {
                bytes += w.bytes();
                ints |= w.ints() != null;
                allInts &= w.ints() != null;
                w.bits().forEach(bits::add);
            }
        }
        this.format = bits.isEmpty() ? "fp32" : "int" + bits.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining("+")) + (allInts ? " (C)" : "");
        this.weightBytes = bytes;
        this.anyInts = ints;
        this.pool = WorkerPool.of(threads);
    }

    private FastBert(FastBert shared, int threads, int maxLength) {
        this.model = shared.model;
        this.config = shared.config;
        this.layers = shared.layers;
        this.cKernels = shared.cKernels;
        this.cTile = shared.cTile;
        this.anyInts = shared.anyInts;
        this.arena = shared.arena;
        this.format = shared.format;
        this.weightBytes = shared.weightBytes;
        this.maxLength = maxLength > 0 ? Math.min(maxLength, config.maxPositions()) : config.maxPositions();
        this.view = true;
        this.pool = WorkerPool.of(threads);
    }

    /**
     * Another handle on these packed weights with its own {@code threads} workers (0: all cores) and token limit (0:
     * the model's maximum), for callers that embed concurrently (one pool runs one job at a time): the weights are
     * packed and held once however many handles run. Closing the handle stops its workers only; the weights live
     * until this instance is closed.
     */
    public FastBert withThreads(int threads, int maxLength) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all cores), got " + threads);
        return new FastBert(this, threads, maxLength);
    }

    private Linear linear(Tensor w, CompressedTensorsFile codes) {
        Linear ints = ints(codes, w);
        return ints != null ? ints : new Linear(panels(w, codes), null);
    }

    /**
     * The weights' codes as {@link IntLinear}s whose outputs sit side by side (Q, K and V read the same input, and may
     * differ in bits: a mix keeps V at 8), or null when one is not codes or not what the C kernels can take exactly.
     */
    private Linear ints(CompressedTensorsFile codes, Tensor... ws) {
        if (codes == null || !cKernels) return null;
        List<IntLinear> parts = new ArrayList<>();
        for (Tensor w : ws) {
            String name = w.name();
            var o = name.endsWith(".weight") ? codes.codes(name.substring(0, name.length() - ".weight".length())) : java.util.Optional.<CompressedTensorsFile.Codes>empty();
            if (o.isEmpty() || o.get().gIdx() != null) return null;
            var c = o.get();
            int gpr = Math.max(1, c.groupsPerRow()); // per tensor (0 groups): its one scale on every row
            float[] scales = new float[c.rows() * gpr];
            int[] zeros = new int[c.rows() * gpr];
            for (int r = 0, at = 0; r < c.rows(); r++) {
                for (int g = 0; g < gpr; g++, at++) {
                    int src = c.groupsPerRow() == 0 ? 0 : r * c.groupsPerRow() + g;
                    scales[at] = c.scales()[src];
                    zeros[at] = c.zeros()[src];
                }
            }
            IntLinear il = IntLinear.of(c.rows(), c.cols(), c.bits(), c.q(), scales, zeros, gpr, c.groupsPerRow() == 0 ? c.cols() : c.width(), arena);
            if (il == null) return null;
            parts.add(il);
        }
        return new Linear(null, List.copyOf(parts));
    }

    private static PanelWeight panels(Tensor w, CompressedTensorsFile codes) {
        String name = w.name();
        if (codes != null && name.endsWith(".weight")) {
            var c = codes.codes(name.substring(0, name.length() - ".weight".length()));
            if (c.isPresent()) {
                var k = c.get();
                int[] groupOf = k.gIdx() != null ? k.gIdx() : IntPanels.contiguousGroups(k.cols(), k.width());
                return IntPanels.of(k.rows(), k.cols(), k.bits(), k.q(), k.scales(), k.zeros(), k.groupsPerRow(), groupOf);
            }
        }
        return F32Panels.of(w);
    }

    private static float[] floats(Tensor t) {
        return Dequant.toFloats(t);
    }

    private static float[] concat(Tensor... ts) {
        int n = 0;
        for (Tensor t : ts) n += Math.toIntExact(t.elements());
        float[] r = new float[n];
        int o = 0;
        for (Tensor t : ts) {
            float[] v = floats(t);
            System.arraycopy(v, 0, r, o, v.length);
            o += v.length;
        }
        return r;
    }

    /**
     * How the linear weights are held: "fp32", "int8", "int4", or the bits of a mix ("int4+8"); " (C)" when every
     * linear runs on the C kernels with int8 activations.
     */
    public String format() {
        return format;
    }

    /** Bytes of the linear layers' weights as held (codes, scales and zero points for integer formats). */
    public long weightBytes() {
        return weightBytes;
    }

    public BertModel model() {
        return model;
    }

    @Override
    public HfTokenizer tokenizer() {
        return model.tokenizer();
    }

    @Override
    public int dimension() {
        return config.hidden();
    }

    @Override
    public int maxTokens() {
        return maxLength;
    }

    private final java.util.concurrent.ConcurrentLinkedQueue<Work> work = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Override
    public float[][] embed(List<String> texts) {
        String prefix = model.conventions().queryPrefix();
        HfTokenizer.Encoded[] enc = new HfTokenizer.Encoded[texts.size()];
        for (int i = 0; i < enc.length; i++) enc[i] = model.tokenizer().encode(prefix + texts.get(i), true, maxLength);
        return embed(enc);
    }

    /** Pooled, unit-length embeddings of tokenized texts. */
    public float[][] embed(HfTokenizer.Encoded[] enc) {
        float[][] out = new float[enc.length][];
        int workers = pool.size(), total = 0;
        for (HfTokenizer.Encoded e : enc) total += e.ids().length;
        if (workers > 1 && enc.length >= workers && total >= workers * MIN_TOKENS_PER_WORKER) {
            int[] cut = split(enc, workers, total);
            onPool((w, n) -> embedRange(enc, cut[w], cut[w + 1], out, j -> j.run(0, 1)));
        } else {
            embedRange(enc, 0, enc.length, out, this::onPool);
        }
        return out;
    }

    /** The last hidden state of one text, [ids.length, hidden] (for comparing with ONNX Runtime's last_hidden_state). */
    public float[] hiddenStates(HfTokenizer.Encoded e) {
        return forward(new HfTokenizer.Encoded[] {e}, this::onPool);
    }

    /** Contiguous ranges of texts with about the same number of tokens each. */
    private static int[] split(HfTokenizer.Encoded[] enc, int workers, int total) {
        int[] cut = new int[workers + 1];
        int acc = 0, w = 1;
        for (int i = 0; i < enc.length && w < workers; i++) {
            acc += enc[i].ids().length;
            if (acc >= (long) total * w / workers) cut[w++] = i + 1;
        }
        for (; w <= workers; w++) cut[w] = enc.length;
        return cut;
    }

    /**
     * Texts [from, to) in forward passes of at most {@link #MAX_PASS_TOKENS} tokens (one text at least): a pass's
     * working arrays are ~14 KB a token, so all 2910 STS-B dev sentences in one had needed ~600 MB (the same embeddings:
     * every row of a pass is computed on its own).
     */
    private void embedRange(HfTokenizer.Encoded[] enc, int from, int to, float[][] out, Exec exec) {
        for (int a = from; a < to; ) {
            int b = a + 1, tokens = enc[a].ids().length;
            while (b < to && tokens + enc[b].ids().length <= MAX_PASS_TOKENS) tokens += enc[b++].ids().length;
            embedPass(enc, a, b, out, exec);
            a = b;
        }
    }

    private static final int MAX_PASS_TOKENS = 4096;

    private void embedPass(HfTokenizer.Encoded[] enc, int from, int to, float[][] out, Exec exec) {
        HfTokenizer.Encoded[] part = java.util.Arrays.copyOfRange(enc, from, to);
        float[] hidden = forward(part, exec);
        int row = 0;
        for (int i = 0; i < part.length; i++) {
            out[from + i] = model.pool(hidden, row, part[i].ids().length);
            row += part[i].ids().length;
        }
    }

    private float[] forward(HfTokenizer.Encoded[] seqs, Exec exec) {
        float[] x = model.embedRows(seqs);
        int h = config.hidden(), n = x.length / h, f = config.intermediate();
        int[] starts = new int[seqs.length + 1];
        for (int i = 0; i < seqs.length; i++) starts[i + 1] = starts[i] + seqs[i].ids().length;
        Work wk = work.poll();
        if (wk == null) wk = new Work();
        wk.fit(n, h, f, anyInts);
        float[] qkv = wk.qkv, ctx = wk.ctx, tmp = wk.tmp, inter = wk.inter;
        Q8Act qa = wk.qa;
        int heads = config.heads();
        for (Layer L : layers) {
            product(L.qkv, x, n, h, new Epilogue(L.qkvB, false, null), qkv, exec, qa, cTile);
            exec.run((w, k) -> {
                int items = seqs.length * heads;
                float[] scores = cKernels ? new float[maxLength] : null;
                for (int it = WorkerPool.from(items, w, k, 1), end = WorkerPool.from(items, w + 1, k, 1); it < end; it++) {
                    int s = it / heads, len = starts[s + 1] - starts[s], head = it % heads, d = config.headSize();
                    if (cKernels) NativeKernels.attention(qkv, starts[s], 3 * h, len, head * d, h + head * d, 2 * h + head * d, d, ctx, h, head * d, scores);
                    else attention(qkv, starts[s], len, head, ctx);
                }
            });
            product(L.attnOut, ctx, n, h, new Epilogue(L.attnOutB, false, x), tmp, exec, qa, cTile);
            exec.run((w, k) -> layerNorm(tmp, x, WorkerPool.from(n, w, k, 1), WorkerPool.from(n, w + 1, k, 1), L.ln1g, L.ln1b));
            product(L.inter, x, n, h, new Epilogue(L.interB, true, null), inter, exec, qa, cTile);
            product(L.out, inter, n, f, new Epilogue(L.outB, false, x), tmp, exec, qa, cTile);
            exec.run((w, k) -> layerNorm(tmp, x, WorkerPool.from(n, w, k, 1), WorkerPool.from(n, w + 1, k, 1), L.ln2g, L.ln2b));
        }
        work.offer(wk);
        return x;
    }

    /**
     * A forward pass's working arrays, kept for the next pass (two at once when the workers split a batch): a batch of
     * 32 sentences needs ~8 MB of them, and allocating them every pass kept the collector scanning and freeing them.
     */
    private static final class Work {
        float[] qkv = new float[0], ctx = qkv, tmp = qkv, inter = qkv;
        Q8Act qa;
        int qaRows;

        void fit(int n, int h, int f, boolean ints) {
            if (ctx.length < n * h) {
                qkv = new float[n * 3 * h];
                ctx = new float[n * h];
                tmp = new float[n * h];
                inter = new float[n * f];
            }
            if (ints && qaRows < n) {
                qa = new Q8Act(n, Math.max(h, f));
                qaRows = n;
            }
        }
    }

    /**
     * out = in W^T then the epilogue, over the steps of {@code exec}: the float GEMM on packed panels, or the input
     * quantized to int8 once (per 32-block, as llama.cpp does) and each step's rows through the C kernels.
     */
    private static void product(Linear w, float[] in, int n, int inCols, Epilogue e, float[] out, Exec exec, Q8Act qa, boolean cTile) {
        if (w.ints() == null) {
            exec.run((s, k) -> PackedGemm.run(in, n, w.panels(), e, out, s, k, cTile));
            return;
        }
        qa.quantizeRows(in, 0, n, inCols);
        int rows = w.rows();
        exec.run((s, k) -> {
            int a = WorkerPool.from(rows, s, k, PanelWeight.WIDTH), b = WorkerPool.from(rows, s + 1, k, PanelWeight.WIDTH);
            if (a >= b) return;
            for (int p = 0, off = 0; p < w.ints().size(); off += w.ints().get(p++).rows()) {
                IntLinear part = w.ints().get(p);
                int lo = Math.max(a, off), hi = Math.min(b, off + part.rows());
                if (lo < hi) part.rows(lo - off, hi - off, qa, n, out, off, rows);
            }
            NativeKernels.epilogue(out, rows, n, a, b, e.bias(), e.residual(), e.gelu());
        });
    }

    /**
     * One head of one text (rows [s, s + n)): scores against K transposed so 8 keys fill a vector (no horizontal
     * sums), softmax with vector exp, then the weighted sum of V rows.
     */
    private void attention(float[] qkv, int s, int n, int head, float[] ctx) {
        int h = config.hidden(), d = config.headSize(), ld = 3 * h, np = (n + 7) & ~7;
        float scale = (float) (1 / Math.sqrt(d));
        float[] kt = new float[d * np], p = new float[np];
        for (int j = 0; j < n; j++) {
            int ko = (s + j) * ld + h + head * d;
            for (int t = 0; t < d; t++) kt[t * np + j] = qkv[ko + t];
        }
        for (int i = 0; i < n; i++) {
            int qo = (s + i) * ld + head * d;
            for (int j = 0; j < np; j += 8) {
                FloatVector acc = FloatVector.zero(F);
                for (int t = 0; t < d; t++) acc = FloatVector.fromArray(F, kt, t * np + j).fma(FloatVector.broadcast(F, qkv[qo + t] * scale), acc);
                acc.intoArray(p, j);
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, p[j]);
            for (int j = n; j < np; j++) p[j] = Float.NEGATIVE_INFINITY;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < np; j += 8) {
                FloatVector e = FloatVector.fromArray(F, p, j).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(p, j);
                sum = sum.add(e);
            }
            float inv = 1 / VectorOps.sum(sum);
            int co = (s + i) * h + head * d;
            for (int t = 0; t < d; t += 8) {
                FloatVector acc = FloatVector.zero(F);
                for (int j = 0; j < n; j++) acc = FloatVector.fromArray(F, qkv, (s + j) * ld + 2 * h + head * d + t).fma(FloatVector.broadcast(F, p[j]), acc);
                acc.mul(inv).intoArray(ctx, co + t);
            }
        }
    }

    /** Rows [r0, r1) of src, normalised (Ba et al. 2016, "Layer Normalization"), into dst. */
    private void layerNorm(float[] src, float[] dst, int r0, int r1, float[] g, float[] b) {
        int h = config.hidden();
        float eps = (float) config.layerNormEps();
        for (int r = r0; r < r1; r++) {
            int o = r * h;
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < h; j += 8) acc = acc.add(FloatVector.fromArray(F, src, o + j));
            float mean = VectorOps.sum(acc) / h;
            acc = FloatVector.zero(F);
            for (int j = 0; j < h; j += 8) {
                FloatVector c = FloatVector.fromArray(F, src, o + j).sub(mean);
                acc = c.fma(c, acc);
            }
            float inv = (float) (1 / Math.sqrt(VectorOps.sum(acc) / h + eps));
            for (int j = 0; j < h; j += 8) {
                FloatVector.fromArray(F, src, o + j).sub(mean).mul(inv).fma(FloatVector.fromArray(F, g, j), FloatVector.fromArray(F, b, j))
                        .intoArray(dst, o + j);
            }
        }
    }

    /**
     * {@code model}'s embeddings of {@code texts} through the fast path, leaving the model open (evaluations of a
     * model whose weights change between calls: a new FastBert packs the current weights).
     */
    public static float[][] embed(BertModel model, int threads, List<String> texts) {
        FastBert f = new FastBert(model, threads, 0);
        try {
            return f.embed(texts);
        } finally {
            f.closePool();
        }
    }

    /** Stops the worker threads and leaves the wrapped model open (for a caller that owns the model). */
    public void closePool() {
        pool.close();
        if (!view) arena.close();
    }

    /** Closes the pool and the wrapped model (a handle from {@link #withThreads} closes its pool only). */
    @Override
    public void close() {
        closePool();
        if (!view) model.close();
    }
}
