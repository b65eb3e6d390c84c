package org.slim4j.model.bert;

import java.util.List;
import java.util.stream.IntStream;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.model.Encoder;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.MatMulF32;
import org.slim4j.tensor.kernel.VectorOps;
import org.slim4j.tokenizer.HfTokenizer;

/**
 * A BERT encoder in exact float32: embeddings + LayerNorm, post-LN layers with exact (erf) GELU, then mean or CLS
 * pooling and L2 normalisation. Each text keeps its own length, so no padding or attention mask is involved and
 * the result equals a padded, masked batch. Texts are packed 16 at a time into one forward pass and the packs run in
 * parallel, one per core; when there is a single pack, its matrix products are split over the cores instead.
 */
public final class BertModel implements Encoder {
    private final BertConfig config;
    private volatile BertWeights w;
    private final HfTokenizer tokenizer;
    private final Conventions conventions;
    private final AutoCloseable owner;
    /** Texts per packed forward pass; chunks run in parallel, one per core. */
    private static final int TEXTS_PER_CHUNK = 16;

    BertModel(BertConfig config, BertWeights weights, HfTokenizer tokenizer, Conventions conventions, AutoCloseable owner) {
        this.config = config;
        this.w = weights;
        this.tokenizer = tokenizer;
        this.conventions = conventions;
        this.owner = owner;
    }

    public BertWeights weights() {
        return w;
    }

    /** Swaps the weights the model computes with (compression writes its effective weights back through this). */
    public void setWeights(BertWeights weights) {
        this.w = weights;
    }

    public BertConfig config() {
        return config;
    }

    public Conventions conventions() {
        return conventions;
    }

    /** What the weights were read from (a compressed-tensors folder keeps its integer codes there). */
    AutoCloseable owner() {
        return owner;
    }

    @Override
    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public int dimension() {
        return config.hidden();
    }

    @Override
    public int maxTokens() {
        return config.maxPositions();
    }

    /** Embeddings of texts used as queries (or symmetric, as in STS): the query prefix is prepended. */
    @Override
    public float[][] embed(List<String> texts) {
        return embed(texts, conventions.queryPrefix());
    }

    /** Embeddings of texts used as documents to retrieve: the passage prefix is prepended. */
    public float[][] embedPassages(List<String> texts) {
        return embed(texts, conventions.passagePrefix());
    }

    private float[][] embed(List<String> texts, String prefix) {
        HfTokenizer.Encoded[] enc = new HfTokenizer.Encoded[texts.size()];
        for (int i = 0; i < enc.length; i++) enc[i] = tokenize(prefix + texts.get(i));
        float[][] out = new float[enc.length][];
        int chunks = (enc.length + TEXTS_PER_CHUNK - 1) / TEXTS_PER_CHUNK;
        boolean inside = chunks == 1;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * TEXTS_PER_CHUNK, to = Math.min(enc.length, from + TEXTS_PER_CHUNK);
            HfTokenizer.Encoded[] part = java.util.Arrays.copyOfRange(enc, from, to);
            float[] hidden = forward(part, inside);
            int row = 0;
            for (int i = 0; i < part.length; i++) {
                out[from + i] = pool(hidden, row, part[i].ids().length);
                row += part[i].ids().length;
            }
        });
        return out;
    }

    /** [CLS] text [SEP], cut to the model's maximum positions. */
    public HfTokenizer.Encoded tokenize(String text) {
        return tokenizer.encode(text, true, config.maxPositions());
    }

    /** The last hidden state, [ids.length, hidden] row-major (what ONNX exports call last_hidden_state). */
    public float[] hiddenStates(int[] ids, int[] typeIds) {
        return forward(new HfTokenizer.Encoded[] {new HfTokenizer.Encoded(ids, typeIds)}, true);
    }

    /**
     * Several texts packed one after another into the rows of one matrix: the linear layers see every token at once
     * (a tall matrix keeps the kernel busy; short texts alone leave it ragged), while embeddings, attention and
     * pooling keep to each text's own rows, so no padding or mask is needed.
     */
    private float[] forward(HfTokenizer.Encoded[] seqs, boolean parallel) {
        float[] x = embedRows(seqs);
        int[] lengths = new int[seqs.length];
        for (int i = 0; i < seqs.length; i++) lengths[i] = seqs[i].ids().length;
        for (int l = 0; l < w.layers().size(); l++) runLayer(l, x, lengths, null, parallel);
        return x;
    }

    /** Embeddings + LayerNorm of texts packed one after another: [total tokens, hidden]. */
    public float[] embedRows(HfTokenizer.Encoded[] seqs) {
        int h = config.hidden(), n = 0;
        for (HfTokenizer.Encoded e : seqs) n += e.ids().length;
        float[] x = new float[n * h], row = new float[h];
        int r = 0;
        for (HfTokenizer.Encoded e : seqs) {
            int[] ids = e.ids(), types = e.typeIds();
            if (ids.length > config.maxPositions()) throw new IllegalArgumentException(ids.length + " tokens, over " + config.maxPositions() + " positions");
            for (int i = 0; i < ids.length; i++, r++) {
                if (ids[i] < 0 || ids[i] >= config.vocabSize() || types[i] < 0 || types[i] >= config.typeVocabSize()) {
                    throw new IllegalArgumentException("token " + ids[i] + " / type " + types[i] + " out of range at " + i);
                }
                Dequant.row(w.wordEmb(), ids[i], row);
                System.arraycopy(row, 0, x, r * h, h);
                Dequant.row(w.typeEmb(), types[i], row);
                VectorOps.axpy(1f, row, 0, x, r * h, h);
                Dequant.row(w.posEmb(), i, row);
                VectorOps.axpy(1f, row, 0, x, r * h, h);
            }
        }
        layerNorm(x, n, h, w.embNormW(), w.embNormB());
        return x;
    }

    /**
     * Encoder layer {@code l} over packed texts of the given lengths, x [sum(lengths), hidden] updated in place;
     * {@code hook} (may be null) sees each linear layer's input, which is how calibration gathers statistics.
     */
    public void runLayer(int l, float[] x, int[] lengths, org.slim4j.model.LinearHook hook, boolean parallel) {
        int h = config.hidden(), n = x.length / h, a = config.attentionWidth(l), f = config.intermediateAt(l);
        BertWeights.Layer L = w.layers().get(l);
        float[] tmp = new float[n * h];
        if (a > 0) {
            float[] q = new float[n * a], k = new float[n * a], v = new float[n * a], ctx = new float[n * a];
            if (hook != null) hook.input(new String[] {L.q().name(), L.k().name(), L.v().name()}, x, n);
            linear(L.q(), L.qb(), x, n, q, parallel);
            linear(L.k(), L.kb(), x, n, k, parallel);
            linear(L.v(), L.vb(), x, n, v, parallel);
            int start = 0;
            for (int len : lengths) {
                attention(q, k, v, start, len, ctx, config.headsAt(l));
                start += len;
            }
            if (hook != null) hook.input(new String[] {L.attnOut().name()}, ctx, n);
            linear(L.attnOut(), L.attnOutB(), ctx, n, tmp, parallel);
        } else {
            bias(L.attnOutB(), n, tmp); // every head pruned: only the output bias is left
        }
        for (int i = 0; i < x.length; i++) x[i] += tmp[i];
        layerNorm(x, n, h, L.attnNormW(), L.attnNormB());
        if (f > 0) {
            float[] inter = new float[n * f];
            if (hook != null) hook.input(new String[] {L.inter().name()}, x, n);
            linear(L.inter(), L.interB(), x, n, inter, parallel);
            Gelu.inPlace(inter, inter.length);
            if (hook != null) hook.input(new String[] {L.out().name()}, inter, n);
            linear(L.out(), L.outB(), inter, n, tmp, parallel);
        } else {
            bias(L.outB(), n, tmp); // FFN removed
        }
        for (int i = 0; i < x.length; i++) x[i] += tmp[i];
        layerNorm(x, n, h, L.outNormW(), L.outNormB());
    }

    private static void bias(Tensor b, int n, float[] y) {
        float[] v = Dequant.toFloats(b);
        for (int i = 0; i < n; i++) System.arraycopy(v, 0, y, i * v.length, v.length);
    }

    /** Self-attention among rows [s, s + n) only: one text. */
    private void attention(float[] q, float[] k, float[] v, int s, int n, float[] ctx, int heads) {
        int d = config.headSize(), h = heads * d; // row stride: this layer's attention width
        float scale = (float) (1 / Math.sqrt(d));
        float[] p = new float[n];
        java.util.Arrays.fill(ctx, s * h, (s + n) * h, 0f);
        for (int head = 0; head < heads; head++) {
            int off = s * h + head * d;
            for (int i = 0; i < n; i++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    p[j] = VectorOps.dot(q, i * h + off, k, j * h + off, d) * scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    p[j] = (float) Math.exp(p[j] - max);
                    sum += p[j];
                }
                float inv = (float) (1 / sum);
                for (int j = 0; j < n; j++) VectorOps.axpy(p[j] * inv, v, j * h + off, ctx, i * h + off, d);
            }
        }
    }

    private static void linear(Tensor weight, Tensor bias, float[] x, int n, float[] y, boolean parallel) {
        int out = (int) weight.shape()[0], in = (int) weight.shape()[1];
        org.slim4j.tensor.kernel.NativeLinear k = org.slim4j.tensor.kernel.NativeLinears.find(weight);
        if (k != null) {
            k.forward(x, n, y, parallel); // stored 2:4 or as a factor pair: its own kernel
        } else if (weight.dtype() == org.slim4j.tensor.DType.F32) {
            MatMulF32.forward(weight.data(), out, in, x, n, y, parallel);
        } else {
            org.slim4j.tensor.kernel.Linear.forward(weight, x, n, y); // F16/BF16 checkpoints and compressed weights
        }
        float[] b = Dequant.toFloats(bias);
        for (int i = 0; i < n; i++) VectorOps.axpy(1f, b, 0, y, i * out, out);
    }

    private void layerNorm(float[] x, int n, int h, Tensor gamma, Tensor beta) {
        float[] g = Dequant.toFloats(gamma), b = Dequant.toFloats(beta);
        for (int i = 0; i < n; i++) {
            int o = i * h;
            double mean = 0, var = 0;
            for (int j = 0; j < h; j++) mean += x[o + j];
            mean /= h;
            for (int j = 0; j < h; j++) {
                double c = x[o + j] - mean;
                var += c * c;
            }
            var /= h;
            double inv = 1 / Math.sqrt(var + config.layerNormEps());
            for (int j = 0; j < h; j++) x[o + j] = (float) ((x[o + j] - mean) * inv * g[j] + b[j]);
        }
    }

    /** Pooled, unit-length embedding of the n rows starting at row s. */
    float[] pool(float[] hidden, int s, int n) {
        int h = config.hidden();
        float[] e = new float[h];
        if (conventions.pooling() == Conventions.Pooling.CLS) {
            System.arraycopy(hidden, s * h, e, 0, h);
        } else {
            for (int i = s; i < s + n; i++) VectorOps.axpy(1f, hidden, i * h, e, 0, h);
            for (int j = 0; j < h; j++) e[j] /= n;
        }
        double norm = 0;
        for (float f : e) norm += (double) f * f;
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        for (int j = 0; j < h; j++) e[j] *= inv;
        return e;
    }

    @Override
    public void close() {
        tokenizer.close();
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
