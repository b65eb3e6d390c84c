package org.slim4j.model.llama;

import java.util.stream.IntStream;
import org.slim4j.model.CausalLM;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.Linear;
import org.slim4j.tensor.kernel.VectorOps;
import org.slim4j.model.chat.ChatTemplate;
import org.slim4j.tokenizer.Tokenizer;

/**
 * The float32 reference forward pass of a Llama-family decoder:
 * embed -> layers x (RMSNorm, Q/K/V (+bias), RoPE, causal GQA attention, O, residual; RMSNorm, SwiGLU, residual)
 * -> RMSNorm -> output matrix. Every matrix product goes through {@link Linear#forward} on the weights as stored.
 */
public final class LlamaModel implements Decoder {
    private final LlamaConfig config;
    private volatile LlamaWeights weights;
    private final Tokenizer tokenizer;
    private final AutoCloseable resources;
    private final Rope rope;
    private final Attention attention;
    private final int autoBos;

    /** {@code resources} (the mapped file, the tokenizer) are closed with the model; may be null. */
    public LlamaModel(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, AutoCloseable resources) {
        this(config, weights, tokenizer, resources, -1);
    }

    /** @param autoBos the BOS id the tokenizer puts before every sequence, or -1 (see {@link CausalLM#autoBos()}) */
    public LlamaModel(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, AutoCloseable resources, int autoBos) {
        this.autoBos = autoBos;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.resources = resources;
        this.rope = new Rope(config, weights.ropeFactors());
        this.attention = new Attention(config);
    }

    public LlamaConfig config() {
        return config;
    }

    private java.util.function.Supplier<ChatTemplate> chatTemplate = () -> ChatTemplate.chatMl("", "");
    private ChatTemplate chatTemplateRead;

    /** Where the loader finds this model's chat template (read on first use: token-id runs never pay for it). */
    void chatTemplateFrom(java.util.function.Supplier<ChatTemplate> source) {
        this.chatTemplate = source;
    }

    @Override
    public synchronized ChatTemplate chatTemplate() {
        if (chatTemplateRead == null) chatTemplateRead = chatTemplate.get();
        return chatTemplateRead;
    }

    public LlamaWeights weights() {
        return weights;
    }

    /** Swaps the weights the model computes with (compression writes its effective weights back through this). */
    public void setWeights(LlamaWeights w) {
        this.weights = w;
    }

    /** The embedding rows of {@code tokens}: [n, hidden]. */
    public float[] embedRows(int[] tokens) {
        int h = config.hidden();
        float[] x = new float[tokens.length * h];
        Tensor emb = weights.embedding();
        for (int i = 0; i < tokens.length; i++) Dequant.decode(emb.dtype(), emb.data(), tokens[i] * emb.rowBytes(), x, i * h, h);
        return x;
    }

    /**
     * Decoder layer {@code l} over one sequence at positions 0..n-1, x [n, hidden] updated in place;
     * {@code hook} sees each linear layer's input (calibration).
     */
    public void runBlock(int l, float[] x, int n, org.slim4j.model.LinearHook hook) {
        Buffers b = new Buffers(config, n, n);
        System.arraycopy(x, 0, b.x, 0, n * config.hidden());
        rope.tables(0, n, b.cos, b.sin);
        layer(l, weights.layers()[l], n, 0, new KvCache(config, n), b, hook);
        System.arraycopy(b.x, 0, x, 0, n * config.hidden());
    }

    /** The final RMSNorm of x [n, hidden]: what the output matrix reads. */
    public float[] finalNorm(float[] x, int n) {
        float[] out = new float[n * config.hidden()];
        rmsNorm(x, out, weights.outputNorm(), n);
        return out;
    }

    /** The tokenizer, or an IllegalStateException when the model was loaded without one. */
    @Override
    public Tokenizer tokenizer() {
        if (tokenizer == null) throw new IllegalStateException("this model was loaded without a tokenizer");
        return tokenizer;
    }

    @Override
    public int autoBos() {
        return autoBos;
    }

    @Override
    public float[] logits(int[] tokens) {
        float[] out = new float[tokens.length * config.vocab()];
        if (tokens.length == 0) return out;
        KvCache cache = new KvCache(config, tokens.length);
        forward(tokens, 0, cache, new Buffers(config, tokens.length, tokens.length), out, true);
        return out;
    }

    /** A generation session holding a KV cache for up to {@code capacity} positions. */
    public Session newSession(int capacity) {
        if (capacity <= 0 || capacity > contextLength()) {
            throw new IllegalArgumentException("capacity " + capacity + " must be in [1, " + contextLength() + "]");
        }
        return new Session(this, capacity);
    }

    /**
     * Runs tokens at positions pos0.. through the model, appending their keys and values to the cache.
     * Writes logits for every row into {@code logits} when {@code allRows}, otherwise for the last row only.
     */
    void forward(int[] tokens, int pos0, KvCache cache, Buffers b, float[] logits, boolean allRows) {
        int n = tokens.length, h = config.hidden();
        if (n > b.rows) throw new IllegalArgumentException(n + " tokens exceed the buffers' " + b.rows + " rows");
        if (pos0 + n > cache.capacity) {
            throw new IllegalArgumentException("positions up to " + (pos0 + n) + " exceed the cache's " + cache.capacity);
        }
        Tensor emb = weights.embedding();
        for (int i = 0; i < n; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocab()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary [0, " + config.vocab() + ")");
            }
            Dequant.decode(emb.dtype(), emb.data(), tokens[i] * emb.rowBytes(), b.x, i * h, h);
        }
        rope.tables(pos0, n, b.cos, b.sin);
        for (int l = 0; l < config.layers(); l++) {
            layer(l, weights.layers()[l], n, pos0, cache, b, null);
        }
        if (allRows) {
            rmsNorm(b.x, b.xb, weights.outputNorm(), n);
            Linear.forward(weights.output(), b.xb, n, logits);
        } else {
            System.arraycopy(b.x, (n - 1) * h, b.xb, 0, h);
            rmsNorm(b.xb, b.xb, weights.outputNorm(), 1);
            Linear.forward(weights.output(), b.xb, 1, logits);
        }
    }

    private void layer(int l, LlamaWeights.Layer w, int n, int pos0, KvCache cache, Buffers b, org.slim4j.model.LinearHook hook) {
        int h = config.hidden();
        rmsNorm(b.x, b.xb, w.attnNorm(), n);
        if (hook != null) hook.input(new String[] {w.wq().name(), w.wk().name(), w.wv().name()}, b.xb, n);
        Linear.forward(w.wq(), b.xb, n, b.q);
        Linear.forward(w.wk(), b.xb, n, b.k);
        Linear.forward(w.wv(), b.xb, n, b.v);
        if (w.bq() != null) {
            addBias(b.q, w.bq(), n);
            addBias(b.k, w.bk(), n);
            addBias(b.v, w.bv(), n);
        }
        rope.apply(b.q, n, config.heads(), b.cos, b.sin);
        rope.apply(b.k, n, config.kvHeads(), b.cos, b.sin);
        cache.store(l, b.k, b.v, n, pos0);
        IntStream.range(0, config.heads()).parallel().forEach(head -> {
            for (int i = 0; i < n; i++) attention.row(cache, l, b.q, i, pos0, head, b.scores[head], b.att);
        });
        if (hook != null) hook.input(new String[] {w.wo().name()}, b.att, n);
        Linear.forward(w.wo(), b.att, n, b.proj);
        add(b.x, b.proj, n * h);

        rmsNorm(b.x, b.xb, w.ffnNorm(), n);
        if (hook != null) hook.input(new String[] {w.wGate().name(), w.wUp().name()}, b.xb, n);
        Linear.forward(w.wGate(), b.xb, n, b.gate);
        Linear.forward(w.wUp(), b.xb, n, b.up);
        int f = n * config.ffn();
        for (int i = 0; i < f; i++) {
            float g = b.gate[i];
            b.gate[i] = g / (1f + (float) Math.exp(-g)) * b.up[i];
        }
        if (hook != null) hook.input(new String[] {w.wDown().name()}, b.gate, n);
        Linear.forward(w.wDown(), b.gate, n, b.proj);
        add(b.x, b.proj, n * h);
    }

    private void rmsNorm(float[] x, float[] out, float[] w, int n) {
        int h = config.hidden();
        for (int i = 0; i < n; i++) {
            int o = i * h;
            double ss = 0;
            for (int j = 0; j < h; j++) ss += (double) x[o + j] * x[o + j];
            float inv = (float) (1.0 / Math.sqrt(ss / h + config.rmsEps()));
            for (int j = 0; j < h; j++) out[o + j] = x[o + j] * inv * w[j];
        }
    }

    private static void addBias(float[] y, float[] bias, int n) {
        for (int i = 0; i < n; i++) VectorOps.axpy(1f, bias, 0, y, i * bias.length, bias.length);
    }

    private static void add(float[] x, float[] d, int len) {
        VectorOps.axpy(1f, d, 0, x, 0, len);
    }

    @Override
    public void close() {
        if (resources == null) return;
        try {
            resources.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing " + resources, e);
        }
    }
}
