package org.slim4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.slim4j.model.CausalLM;
import org.slim4j.util.Progress;

/**
 * How far a model's next-token distributions are from a base model's over the same chunks: the statistics
 * llama.cpp's perplexity tool prints with --kl-divergence (mean KLD and its percentiles, Δp of the correct
 * token, RMS Δp, "same top p", both perplexities).
 */
public final class KlDivergence {

    /** Scored-position logits of the base model, chunk by chunk: [scoredPerChunk][vocab] row-major. */
    public interface BaseLogits {
        float[] chunk(int c);

        /** Chunk c's logits into {@code out}. */
        default void chunk(int c, float[] out) {
            float[] l = chunk(c);
            System.arraycopy(l, 0, out, 0, l.length);
        }

        /** Computed by a live base model, chunk by chunk as the comparison asks for them. */
        static BaseLogits of(CausalLM base, Chunks chunks) {
            return new BaseLogits() {
                @Override
                public float[] chunk(int c) {
                    return chunks.scoredLogits(base, c);
                }

                @Override
                public void chunk(int c, float[] out) {
                    chunks.scoredLogits(base, c, out);
                }
            };
        }
    }

    public record Result(int tokens, double meanKld, double meanKldErr, double[] kldPercentiles,
                         double meanDeltaP, double meanDeltaPErr, double rmsDeltaP, double sameTop, double sameTopErr,
                         double pplQ, double pplBase, double corLnPpl) {
        /** Percentiles reported, in the order of {@link #kldPercentiles}. */
        public static final double[] PERCENTILES = {100, 99.9, 99, 90, 50, 10, 5, 1, 0};

        public double maxKld() {
            return kldPercentiles[0];
        }

        public double kldPercentile(double p) {
            for (int i = 0; i < PERCENTILES.length; i++) if (PERCENTILES[i] == p) return kldPercentiles[i];
            throw new IllegalArgumentException("not reported: " + p);
        }

        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "tokens scored      %d%n", tokens));
            sb.append(String.format(Locale.ROOT, "Mean PPL(Q)        %.6f%n", pplQ));
            sb.append(String.format(Locale.ROOT, "Mean PPL(base)     %.6f%n", pplBase));
            sb.append(String.format(Locale.ROOT, "Cor(ln PPL(Q), ln PPL(base)) %.2f%%%n", 100 * corLnPpl));
            sb.append(String.format(Locale.ROOT, "Mean KLD           %.6f +/- %.6f%n", meanKld, meanKldErr));
            String[] names = {"Maximum KLD", "99.9%   KLD", "99.0%   KLD", "90.0%   KLD", "Median  KLD",
                "10.0%   KLD", " 5.0%   KLD", " 1.0%   KLD", "Minimum KLD"};
            for (int i = 0; i < names.length; i++) {
                sb.append(String.format(Locale.ROOT, "%-18s %.6f%n", names[i], kldPercentiles[i]));
            }
            sb.append(String.format(Locale.ROOT, "Mean    Δp         %.3f +/- %.3f %%%n", 100 * meanDeltaP, 100 * meanDeltaPErr));
            sb.append(String.format(Locale.ROOT, "RMS Δp             %.3f %%%n", 100 * rmsDeltaP));
            sb.append(String.format(Locale.ROOT, "Same top p         %.3f +/- %.3f %%%n", 100 * sameTop, 100 * sameTopErr));
            return sb.toString();
        }
    }

    private KlDivergence() {}

    /**
     * One chunk's per-token values (KLD, Δp, ln p of the correct token under the model and the base) and how many of
     * its positions have the same top token. {@link #run} computes these chunk by chunk; a distributed run
     * (slim4j-spark) computes them anywhere and {@link #finish} takes them in chunk order, for the same bits.
     */
    public record ChunkStats(double[] kld, double[] deltaP, double[] lnQ, double[] lnBase, int sameTop) implements java.io.Serializable {}

    public static Result run(CausalLM model, Chunks chunks, BaseLogits base) {
        List<ChunkStats> all = new ArrayList<>(chunks.count());
        Progress progress = new Progress("kld", chunks.count());
        double sum = 0;
        int k = 0;
        int size = chunks.scoredPerChunk() * model.vocabSize();
        float[] b = new float[size], q = new float[size]; // one pair of arrays for every chunk
        for (int c = 0; c < chunks.count(); c++) {
            base.chunk(c, b);
            ChunkStats s = scoreChunk(model, chunks, c, b, q);
            all.add(s);
            for (double v : s.kld()) sum += v;
            k += s.kld().length;
            progress.step(c + 1, String.format(Locale.ROOT, "mean KLD %.6f", sum / k));
        }
        return finish(all);
    }

    /** Chunk {@code c} of {@code model} against the base model's logits of its scored positions ({@code b}). */
    public static ChunkStats scoreChunk(CausalLM model, Chunks chunks, int c, float[] b) {
        return scoreChunk(model, chunks, c, b, new float[b.length]);
    }

    /** As {@link #scoreChunk(CausalLM, Chunks, int, float[])}, the model's logits computed into {@code q}. */
    public static ChunkStats scoreChunk(CausalLM model, Chunks chunks, int c, float[] b, float[] q) {
        int vocab = model.vocabSize();
        int per = chunks.scoredPerChunk();
        if (b.length != per * vocab) {
            throw new IllegalArgumentException("base logits for chunk " + c + " have " + b.length
                    + " values, expected " + per + " x " + vocab);
        }
        chunks.scoredLogits(model, c, q);
        double[] kld = new double[per], dp = new double[per], lnQ = new double[per], lnB = new double[per];
        boolean[] sameTop = new boolean[per];
        // positions are independent: scored on all cores (each row's log-sum-exp once, not twice), gathered in order
        IntStream.range(0, per).parallel().forEach(j -> {
            int o = j * vocab;
            int target = chunks.target(c, chunks.firstScored() + j);
            double lseB = LogitMath.logSumExp(b, o, vocab), lseQ = LogitMath.logSumExp(q, o, vocab);
            kld[j] = LogitMath.kl(b, o, lseB, q, o, lseQ, vocab);
            lnQ[j] = q[o + target] - lseQ;
            lnB[j] = b[o + target] - lseB;
            dp[j] = Math.exp(lnQ[j]) - Math.exp(lnB[j]);
            sameTop[j] = LogitMath.argmax(q, o, vocab) == LogitMath.argmax(b, o, vocab);
        });
        int same = 0;
        for (boolean s : sameTop) if (s) same++;
        return new ChunkStats(kld, dp, lnQ, lnB, same);
    }

    /** The statistics over all chunks, given in chunk order. */
    public static Result finish(List<ChunkStats> chunks) {
        int n = 0, same = 0;
        for (ChunkStats s : chunks) {
            n += s.kld().length;
            same += s.sameTop();
        }
        double[] kld = new double[n], dp = new double[n], lnQ = new double[n], lnB = new double[n];
        int k = 0;
        for (ChunkStats s : chunks) {
            int m = s.kld().length;
            System.arraycopy(s.kld(), 0, kld, k, m);
            System.arraycopy(s.deltaP(), 0, dp, k, m);
            System.arraycopy(s.lnQ(), 0, lnQ, k, m);
            System.arraycopy(s.lnBase(), 0, lnB, k, m);
            k += m;
        }
        double[] sorted = kld.clone();
        Arrays.sort(sorted);
        double[] pct = new double[Result.PERCENTILES.length];
        for (int i = 0; i < pct.length; i++) pct[i] = percentile(sorted, Result.PERCENTILES[i]);
        double sameP = (double) same / n;
        double rms = 0;
        for (double d : dp) rms += d * d;
        return new Result(n, mean(kld), stdErr(kld), pct, mean(dp), stdErr(dp), Math.sqrt(rms / n),
                sameP, Math.sqrt(sameP * (1 - sameP) / Math.max(1, n - 1)),
                Math.exp(-mean(lnQ)), Math.exp(-mean(lnB)), correlation(lnQ, lnB));
    }

    static double percentile(double[] sorted, double p) {
        double idx = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(idx), hi = (int) Math.ceil(idx);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return a.length == 0 ? 0 : s / a.length;
    }

    static double stdErr(double[] a) {
        if (a.length < 2) return 0;
        double m = mean(a), s = 0;
        for (double v : a) s += (v - m) * (v - m);
        return Math.sqrt(s / (a.length - 1) / a.length);
    }

    static double correlation(double[] x, double[] y) {
        double mx = mean(x), my = mean(y), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 1 : sxy / Math.sqrt(sxx * syy);
    }
}
