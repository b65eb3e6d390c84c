package org.slim4j.convert;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.io.gguf.GgufWriter;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaConfig.RopeLayout;
import org.slim4j.model.llama.LlamaConfig.RopeScaling;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.DType;
import org.slim4j.util.TempFiles;

/**
 * A random-weight GGUF with the exact shape of a real model, for benchmarks: llama.cpp and slim4j both load it.
 * Matrices are uniform with standard deviation 0.02 (seeded), norms 1, biases 0.02-scale; the tokenizer is a
 * byte-level BPE vocabulary (the SmolLM2 one from a tokenizer GGUF, padded with unused tokens up to the vocab size).
 * The float tensors are written as F16 first; other types go through {@link GgufQuantizer} (llama.cpp's Q4_K_M mix
 * for Q4_K_M/Q5_K_M, --pure otherwise), so the files are what llama-quantize would make of the F16 one.
 */
public final class SynthGguf {
    /** Shapes of real checkpoints (hidden, layers, heads, kv heads, ffn, vocab; tied; qkv bias; rope). */
    public enum Shape {
        TINY("llama", 64, 2, 4, 2, 128, 49152, 10000, false, null),
        SMOLLM2_135M("llama", 576, 30, 9, 3, 1536, 49152, 100000, false, null),
        QWEN2_5_0_5B("qwen2", 896, 24, 14, 2, 4864, 151936, 1000000, true, null),
        LLAMA_3_2_1B("llama", 2048, 16, 32, 8, 8192, 128256, 500000, false, new RopeScaling(32, 1, 4, 8192));

        final String arch;
        final int hidden, layers, heads, kvHeads, ffn, vocab;
        final double theta;
        final boolean qkvBias;
        final RopeScaling scaling;

        Shape(String arch, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, double theta, boolean qkvBias, RopeScaling scaling) {
            this.arch = arch;
            this.hidden = hidden;
            this.layers = layers;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.ffn = ffn;
            this.vocab = vocab;
            this.theta = theta;
            this.qkvBias = qkvBias;
            this.scaling = scaling;
        }

        public static Shape byName(String name) {
            String n = name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
            for (Shape s : values()) if (s.name().equals(n)) return s;
            throw new IllegalArgumentException("unknown shape '" + name + "' (known: smollm2-135m, qwen2.5-0.5b, llama-3.2-1b, tiny)");
        }

        public LlamaConfig config() {
            return new LlamaConfig(arch, hidden, layers, heads, kvHeads, hidden / heads, ffn, vocab, 1e-5f, theta, scaling,
                    RopeLayout.ADJACENT_PAIRS, true, qkvBias, 8192, 1, new int[] {2}, 0);
        }
    }

    private SynthGguf() {}

    /** Writes {@code shape} with matrices of {@code fileType} to {@code out}; {@code tokenizerGguf} supplies tokenizer.ggml.*. */
    public static void write(Shape shape, LlamaFileType fileType, long seed, Path tokenizerGguf, Path out) {
        boolean f16 = fileType == LlamaFileType.MOSTLY_F16;
        Path f16Path = f16 ? out : TempFiles.track(out.resolveSibling("." + out.getFileName() + ".f16.tmp"));
        try {
            writeF16(shape, seed, tokenizerGguf, f16Path);
            if (!f16) {
                boolean mix = fileType == LlamaFileType.MOSTLY_Q4_K_M || fileType == LlamaFileType.MOSTLY_Q5_K_M;
                GgufQuantizer.quantize(f16Path, out, fileType, DType.Q8_0, !mix);
            }
        } finally {
            if (!f16) TempFiles.delete(f16Path);
        }
    }

    private static void writeF16(Shape s, long seed, Path tokenizerGguf, Path out) {
        LlamaConfig c = s.config();
        GgufWriter w = new GgufWriter();
        HfToGguf.hyperparameters(w, c, s.arch, "slim4j synth " + s.name().toLowerCase(Locale.ROOT), 1);
        tokenizer(w, tokenizerGguf, c.vocab());

        SplittableRandom rng = new SplittableRandom(seed);
        LlamaWeights.Names n = LlamaWeights.Names.GGUF;
        int h = c.hidden(), q = c.qDim(), kv = c.kvDim(), f = c.ffn();
        random(w, n.embedding(), new long[] {c.vocab(), h}, rng, DType.F16);
        for (int l = 0; l < c.layers(); l++) {
            w.addTensor(n.attnNorm().formatted(l), new long[] {h}, ones(h), DType.F32);
            random(w, n.wq().formatted(l), new long[] {q, h}, rng, DType.F16);
            random(w, n.wk().formatted(l), new long[] {kv, h}, rng, DType.F16);
            random(w, n.wv().formatted(l), new long[] {kv, h}, rng, DType.F16);
            if (c.qkvBias()) {
                random(w, n.bq().formatted(l), new long[] {q}, rng, DType.F32);
                random(w, n.bk().formatted(l), new long[] {kv}, rng, DType.F32);
                random(w, n.bv().formatted(l), new long[] {kv}, rng, DType.F32);
            }
            random(w, n.wo().formatted(l), new long[] {h, q}, rng, DType.F16);
            w.addTensor(n.ffnNorm().formatted(l), new long[] {h}, ones(h), DType.F32);
            random(w, n.wGate().formatted(l), new long[] {f, h}, rng, DType.F16);
            random(w, n.wUp().formatted(l), new long[] {f, h}, rng, DType.F16);
            random(w, n.wDown().formatted(l), new long[] {h, f}, rng, DType.F16);
        }
        w.addTensor(n.outputNorm(), new long[] {h}, ones(h), DType.F32);
        if (c.ropeScaling() != null) w.addTensor(LlamaWeights.ROPE_FREQS, new long[] {c.headDim() / 2}, HfToGguf.ropeFactors(c), DType.F32);
        w.write(out);
    }

    /** tokenizer.ggml.* of a tokenizer GGUF, padded with unused tokens (type UNUSED 5) up to {@code vocab}. */
    private static void tokenizer(GgufWriter w, Path src, int vocab) {
        try (GgufFile g = GgufFile.open(src)) {
            List<String> tokens = new ArrayList<>(g.strings("tokenizer.ggml.tokens"));
            int[] types = g.ints("tokenizer.ggml.token_type");
            if (tokens.size() > vocab) {
                throw new IllegalArgumentException(src + " has " + tokens.size() + " tokens, more than the shape's vocab " + vocab);
            }
            int[] tt = java.util.Arrays.copyOf(types, vocab);
            for (int i = tokens.size(); i < vocab; i++) {
                tokens.add("[PAD" + i + "]");
                tt[i] = 5;
            }
            for (String k : g.metadata().keySet()) {
                if (!k.startsWith("tokenizer.ggml.") || k.equals("tokenizer.ggml.tokens") || k.equals("tokenizer.ggml.token_type")) continue;
                w.put(k, g.typeOf(k), g.value(k));
            }
            w.putStrings("tokenizer.ggml.tokens", tokens);
            w.putInts("tokenizer.ggml.token_type", tt);
        }
    }

    /**
     * A tensor of values uniform with standard deviation 0.02, drawn when the file is written (the writer makes its
     * tensors in the order they were added, so the draws follow that order): one tensor in memory at a time, and its
     * values go straight into their encoding, so the Llama-3.2-1B shape's 128256 x 2048 embedding needs no 1 GB float
     * array (before, the whole model was held until written: out of memory at the launcher's 1 GB heap).
     */
    private static void random(GgufWriter w, String name, long[] shape, SplittableRandom rng, DType type) {
        long count = 1;
        for (long d : shape) count *= d;
        long n = count;
        double a = 0.02 * Math.sqrt(3); // uniform on [-a, a] has this standard deviation
        w.addTensor(name, type, shape, arena -> {
            MemorySegment seg = arena.allocate(n * (type == DType.F16 ? 2 : 4), 8);
            for (long i = 0; i < n; i++) {
                float v = (float) ((rng.nextDouble() * 2 - 1) * a);
                if (type == DType.F16) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, Float.floatToFloat16(v));
                else seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * i, v);
            }
            return seg;
        });
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
