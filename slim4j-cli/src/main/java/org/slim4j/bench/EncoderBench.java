package org.slim4j.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.Sts;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;

/**
 * Sentences/s of several encoders on the same sentences in the same run: after one warm-up pass each, every
 * repetition runs each batch size on each engine in turn (A, B, C, A, B, C, ...), so a shared machine's changing
 * load falls on all of them alike. Embeddings of the last full pass at the largest batch are kept for quality.
 */
public final class EncoderBench {
    public record Engine(String name, String format, Encoder encoder, double loadS) {}

    /** Per engine: sentences/s mean and std per batch size, the embeddings, STS-B Spearman x100 (NaN if not every pair was embedded). */
    public record Result(Engine engine, double[] mean, double[] std, float[][] embeddings, double spearman) {}

    private EncoderBench() {}

    public static List<Result> run(List<Engine> engines, List<String> sentences, int[] batches, int reps, StsB stsb) {
        int e = engines.size();
        double[][][] tps = new double[e][batches.length][reps];
        float[][][] emb = new float[e][][];
        for (Engine en : engines) pass(en.encoder(), sentences.subList(0, Math.min(sentences.size(), 256)), 32, null); // JIT, native init
        for (int r = 0; r < reps; r++) {
            for (int b = 0; b < batches.length; b++) {
                for (int i = 0; i < e; i++) {
                    float[][] out = new float[sentences.size()][];
                    tps[i][b][r] = pass(engines.get(i).encoder(), sentences, batches[b], out);
                    if (b == batches.length - 1) emb[i] = out;
                }
            }
        }
        List<Result> res = new ArrayList<>();
        for (int i = 0; i < e; i++) {
            double[] mean = new double[batches.length], std = new double[batches.length];
            for (int b = 0; b < batches.length; b++) {
                mean[b] = DecoderBench.mean(tps[i][b]);
                std[b] = DecoderBench.std(tps[i][b]);
            }
            res.add(new Result(engines.get(i), mean, std, emb[i], spearman(stsb, sentences, emb[i])));
        }
        return res;
    }

    /** Sentences/s embedding {@code sentences} in consecutive batches of {@code batch}. */
    private static double pass(Encoder enc, List<String> sentences, int batch, float[][] out) {
        long t0 = System.nanoTime();
        for (int i = 0; i < sentences.size(); i += batch) {
            float[][] part = enc.embed(sentences.subList(i, Math.min(sentences.size(), i + batch)));
            if (out != null) System.arraycopy(part, 0, out, i, part.length);
        }
        return sentences.size() / ((System.nanoTime() - t0) / 1e9);
    }

    private static double spearman(StsB stsb, List<String> sentences, float[][] emb) {
        if (stsb == null) return Double.NaN;
        Map<String, float[]> by = new HashMap<>();
        for (int i = 0; i < emb.length; i++) by.put(sentences.get(i), emb[i]);
        for (StsB.Pair p : stsb.pairs()) if (!by.containsKey(p.sentence1()) || !by.containsKey(p.sentence2())) return Double.NaN;
        return Sts.spearman100(stsb, by::get);
    }

    /** Embeddings of {@code candidate} against those of {@code reference} on the same sentences. */
    public static Fidelity fidelity(Result reference, Result candidate) {
        return Fidelity.of(reference.embeddings(), candidate.embeddings());
    }
}
