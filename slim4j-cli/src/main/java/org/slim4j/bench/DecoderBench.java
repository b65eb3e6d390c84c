package org.slim4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.slim4j.model.llama.Decoder;
import org.slim4j.model.llama.DecoderSession;

/**
 * llama-bench's protocol for a decoder: pp = one batch of {@code promptTokens} random tokens, tg = {@code genTokens}
 * single-token decode steps, each from a cache holding {@code depth} random tokens (llama-bench's -d; 0: an empty
 * cache, as its plain pp and tg), repeated and averaged after untimed warm-up runs (2 s, at least one). Filling the
 * cache to the depth is not timed. Tokens/s are tokens over wall time of the timed part only. The session's KV cache
 * bytes come with the result.
 */
public final class DecoderBench {
    public record Result(double ppTps, double ppStd, double tgTps, double tgStd, long cacheBytes) {}

    /**
     * How long the untimed warm-up runs: C2 compiles the engine's Java code as it runs, and on trained-llama-50m (a run
     * of pp128 + tg64 takes ~0.1 s) the first four runs after a single warm-up one were 35-50% slower than the rest,
     * which gave means with a +/- 30% spread.
     */
    private static final long WARM_UP_NANOS = 2_000_000_000L;

    private DecoderBench() {}

    public static Result run(Decoder m, int promptTokens, int genTokens, int depth, int reps) {
        return run(m, m.newSession(capacity(promptTokens, genTokens, depth)), promptTokens, genTokens, depth, reps, true);
    }

    /** The cache positions {@link #run} needs. */
    public static int capacity(int promptTokens, int genTokens, int depth) {
        return depth + Math.max(promptTokens, genTokens) + 1;
    }

    /**
     * As {@link #run(Decoder, int, int, int, int)} on a session the caller keeps; {@code warmUp} false skips the
     * untimed warm-up runs (already warm). Runs alternated with another engine reuse one session, since a new one per
     * repetition (KV cache, batch buffers) raised peak RSS by ~10 MB each.
     */
    public static Result run(Decoder m, DecoderSession s, int promptTokens, int genTokens, int depth, int reps, boolean warmUp) {
        SplittableRandom rng = new SplittableRandom(1);
        int[] context = new int[depth], prompt = new int[promptTokens];
        for (int i = 0; i < context.length; i++) context[i] = rng.nextInt(m.vocabSize());
        for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(m.vocabSize());
        double[] pp = new double[reps], tg = new double[reps], ignored = new double[1];
        if (warmUp) { // untimed runs (JIT, page cache) until WARM_UP_NANOS have passed, at least one
            long end = System.nanoTime() + WARM_UP_NANOS;
            do once(s, context, prompt, genTokens, ignored, ignored, 0); while (System.nanoTime() < end);
        }
        for (int r = 0; r < reps; r++) once(s, context, prompt, genTokens, pp, tg, r);
        return new Result(mean(pp), std(pp), mean(tg), std(tg), s.cacheBytes());
    }

    /** One run: pp into pp[r] and tg into tg[r] (tokens/s), each from a cache holding {@code context}. */
    private static void once(DecoderSession s, int[] context, int[] prompt, int genTokens, double[] pp, double[] tg, int r) {
        if (prompt.length > 0) {
            fill(s, context);
            long t0 = System.nanoTime();
            s.prefill(prompt);
            pp[r] = prompt.length / ((System.nanoTime() - t0) / 1e9);
        }
        if (genTokens > 0) {
            fill(s, context);
            int tok = prompt.length > 0 ? prompt[0] : 1;
            long t0 = System.nanoTime();
            for (int i = 0; i < genTokens; i++) {
                float[] logits = s.decode(tok);
                tok = argmax(logits);
            }
            tg[r] = genTokens / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** A fresh sequence holding {@code context}. */
    private static void fill(DecoderSession s, int[] context) {
        s.reset();
        if (context.length > 0) s.prefill(context);
    }

    private static int argmax(float[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
        return b;
    }

    public static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? 0 : s / v.length;
    }

    public static double std(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    /** Peak resident set (VmHWM) of this process in bytes, or -1 where /proc is not there. */
    public static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
