package org.slim4j.eval;

import java.util.Arrays;
import org.slim4j.tensor.kernel.VectorOps;

/**
 * How closely one set of embeddings reproduces another of the same sentences (e.g. a compressed model against the
 * original): per-sentence cosine (mean, 1st percentile, min), and how much of each sentence's 10 nearest neighbours
 * among the others survive. Neighbour overlap catches damage that a high mean cosine hides: retrieval only cares about order.
 */
public record Fidelity(double meanCosine, double p1Cosine, double minCosine, double top10Overlap) {

    public static final int K = 10;

    public static Fidelity of(float[][] reference, float[][] candidate) {
        if (reference.length != candidate.length || reference.length < 2) {
            throw new IllegalArgumentException("need the same 2 or more sentences on both sides, got " + reference.length + " and " + candidate.length);
        }
        int n = reference.length;
        double[] cos = new double[n];
        for (int i = 0; i < n; i++) cos[i] = Sts.cosine(reference[i], candidate[i]);
        double[] sorted = cos.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(cos).average().orElse(Double.NaN);
        double p1 = sorted[(int) Math.floor(0.01 * (n - 1))];
        int k = Math.min(K, n - 1);
        float[][] ref = unit(reference), cand = unit(candidate);
        double overlap = 0;
        for (int i = 0; i < n; i++) {
            int[] a = nearest(ref, i, k), b = nearest(cand, i, k);
            int common = 0;
            for (int x : a) for (int y : b) if (x == y) common++;
            overlap += (double) common / k;
        }
        return new Fidelity(mean, p1, sorted[0], overlap / n);
    }

    /** Unit-length copies, so that a float dot product is the cosine (the n^2 neighbour search needs the speed). */
    private static float[][] unit(float[][] e) {
        float[][] u = new float[e.length][];
        for (int i = 0; i < e.length; i++) {
            double s = 0;
            for (float v : e[i]) s += (double) v * v;
            float inv = s == 0 ? 0 : (float) (1 / Math.sqrt(s));
            u[i] = new float[e[i].length];
            for (int j = 0; j < u[i].length; j++) u[i][j] = e[i][j] * inv;
        }
        return u;
    }

    /** Indices of the k unit vectors most similar to vector i (itself excluded), most similar first. */
    static int[] nearest(float[][] e, int i, int k) {
        int n = e.length;
        float[] sim = new float[n];
        for (int j = 0; j < n; j++) sim[j] = j == i ? Float.NEGATIVE_INFINITY : VectorOps.dot(e[i], 0, e[j], 0, e[i].length);
        int[] best = new int[k];
        Arrays.fill(best, -1);
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            int pos = k;
            while (pos > 0 && (best[pos - 1] < 0 || sim[j] > sim[best[pos - 1]])) pos--;
            if (pos < k) {
                System.arraycopy(best, pos, best, pos + 1, k - pos - 1);
                best[pos] = j;
            }
        }
        return best;
    }
}
