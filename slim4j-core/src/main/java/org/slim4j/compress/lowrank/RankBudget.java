package org.slim4j.compress.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Ranks for every layer from one global parameter budget (WeLore, Jaiswal et al. 2024, lets the singular-value
 * spectrum decide which layers stay high-rank). Every layer first gets a floor, a fraction of the rank a uniform
 * ratio at the same budget would give it; the rest of the budget buys singular directions best first, by value per
 * parameter it costs (rows + cols). The value of direction i of a layer is, by {@link Criterion}:
 * <ul>
 * <li>{@link Criterion#LOG_ERROR} (default): ln(E_i / E_i+1), E_i the (whitened) squared error left at rank i, so the
 *     greedy minimises the sum over layers of the log of each layer's relative output error. Relative, so layers of
 *     different output scale compare; logarithmic, so halving a small error is worth as much as halving a large
 *     one, which is how errors compound through the residual stream;</li>
 * <li>{@link Criterion#ENERGY}, {@link Criterion#ENERGY_PER_PARAMETER}: the share s_i^2 / sum s^2 of the layer's
 *     energy (alone, or per parameter). These starve layers whose whitened energy sits in a few directions (e.g.
 *     BERT's output.dense got ranks 2-17) and lose to a uniform ratio (kept for the report's comparison).</li>
 * </ul>
 * A layer never goes beyond the rank at which factors cost as much as the dense matrix.
 */
public final class RankBudget {
    /** The floor that beat a uniform ratio at 0.60 / 0.45 / 0.30 of the dense parameters on MiniLM and BGE-small. */
    public static final double DEFAULT_FLOOR = 0.75;

    private RankBudget() {}

    private record Next(String name, int index, double value) {}

    public enum Criterion { LOG_ERROR, ENERGY, ENERGY_PER_PARAMETER }

    /** @param budget total factor parameters, sum over layers of r (rows + cols) */
    public static Map<String, Integer> allocate(Map<String, Spectrum> layers, long budget) {
        return allocate(layers, budget, Criterion.LOG_ERROR, DEFAULT_FLOOR);
    }

    /** No floor: every rank comes from the criterion alone. */
    public static Map<String, Integer> allocate(Map<String, Spectrum> layers, long budget, Criterion criterion) {
        return allocate(layers, budget, criterion, 0);
    }

    /** @param floor fraction of the uniform-ratio rank (at this budget) every layer gets before the greedy starts */
    public static Map<String, Integer> allocate(Map<String, Spectrum> layers, long budget, Criterion criterion, double floor) {
        long dense = 0;
        for (Spectrum sp : layers.values()) dense += (long) sp.rows() * sp.cols();
        double ratio = dense == 0 ? 0 : (double) budget / dense;
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, double[]> tails = new LinkedHashMap<>();
        PriorityQueue<Next> queue = new PriorityQueue<>((a, b) -> Double.compare(b.value, a.value));
        long spent = 0;
        for (var e : layers.entrySet()) {
            Spectrum sp = e.getValue();
            int r = Math.min(maxRank(sp), (int) Math.floor(floor * ratio * sp.rows() * sp.cols() / (sp.rows() + sp.cols())));
            ranks.put(e.getKey(), r);
            spent += (long) r * (sp.rows() + sp.cols());
            double[] s = sp.singularValues(), tail = new double[s.length + 1];
            for (int i = s.length - 1; i >= 0; i--) tail[i] = tail[i + 1] + s[i] * s[i];
            tails.put(e.getKey(), tail);
            if (tail[0] > 0 && r < maxRank(sp)) queue.add(new Next(e.getKey(), r, value(criterion, sp, tail, r)));
        }
        while (!queue.isEmpty()) {
            Next n = queue.poll();
            Spectrum sp = layers.get(n.name);
            long cost = sp.rows() + sp.cols();
            if (spent + cost > budget) continue; // a cheaper layer's direction may still fit
            spent += cost;
            ranks.put(n.name, n.index + 1);
            int following = n.index + 1;
            if (following < maxRank(sp)) queue.add(new Next(n.name, following, value(criterion, sp, tails.get(n.name), following)));
        }
        return ranks;
    }

    /** What adding direction i is worth; tail[i] is the squared error left at rank i, tail[0] the total. */
    private static double value(Criterion c, Spectrum sp, double[] tail, int i) {
        double gain = tail[i] - tail[i + 1], cost = sp.rows() + sp.cols();
        return switch (c) {
            case ENERGY -> gain / tail[0];
            case ENERGY_PER_PARAMETER -> gain / tail[0] / cost;
            // the error a direction leaves never reaches zero in floating point; 1e-12 of the total stands for it
            case LOG_ERROR -> Math.log(tail[i] / Math.max(tail[i + 1], 1e-12 * tail[0])) / cost;
        };
    }

    static int maxRank(Spectrum sp) {
        return (int) Math.min(Math.min(sp.rows(), sp.cols()), (long) sp.rows() * sp.cols() / (sp.rows() + sp.cols()));
    }

    /** Parameters the factors of a rank allocation hold. */
    public static long parameters(Map<String, Spectrum> layers, Map<String, Integer> ranks) {
        long p = 0;
        for (var e : ranks.entrySet()) p += (long) e.getValue() * (layers.get(e.getKey()).rows() + layers.get(e.getKey()).cols());
        return p;
    }

    /** The budget of a uniform ratio: what {@link RankRule#ratio} ranks hold over these layers. */
    public static long uniformBudget(Map<String, Spectrum> layers, double ratio) {
        long p = 0;
        for (Spectrum s : layers.values()) p += (long) RankRule.ratioRank(s.rows(), s.cols(), ratio) * (s.rows() + s.cols());
        return p;
    }
}
