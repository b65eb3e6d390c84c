package org.slim4j.compress.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Ranks for every layer from one global parameter budget (WeLore, Jaiswal et al. 2024, lets the singular-value
 * spectrum decide which layers stay high-rank): every singular direction i of layer l is worth its share of the
 * layer's energy, s_i^2 / sum s^2 ({@link Criterion#ENERGY}), or that share per parameter it costs, rows + cols
 * ({@link Criterion#ENERGY_PER_PARAMETER}, the greedy answer to "least summed relative error", which starves wide
 * layers); directions are bought best first until the budget is spent. Layers with a flat spectrum get high ranks, layers whose energy sits in a few directions get low
 * ones. A layer never goes beyond the rank at which factors cost as much as the dense matrix.
 */
public final class RankBudget {
    private RankBudget() {}

    private record Next(String name, int index, double value) {}

    public enum Criterion { ENERGY, ENERGY_PER_PARAMETER }

    /** @param budget total factor parameters, sum over layers of r (rows + cols) */
    public static Map<String, Integer> allocate(Map<String, Spectrum> layers, long budget) {
        return allocate(layers, budget, Criterion.ENERGY);
    }

    public static Map<String, Integer> allocate(Map<String, Spectrum> layers, long budget, Criterion criterion) {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, double[]> values = new LinkedHashMap<>();
        PriorityQueue<Next> queue = new PriorityQueue<>((a, b) -> Double.compare(b.value, a.value));
        for (var e : layers.entrySet()) {
            ranks.put(e.getKey(), 0);
            Spectrum sp = e.getValue();
            double total = sp.tailEnergy(0);
            double[] s = sp.singularValues();
            double[] v = new double[s.length];
            for (int i = 0; i < s.length; i++) v[i] = total == 0 ? 0 : s[i] * s[i] / total / (criterion == Criterion.ENERGY ? 1 : sp.rows() + sp.cols());
            values.put(e.getKey(), v);
            if (total > 0 && maxRank(sp) > 0) queue.add(new Next(e.getKey(), 0, v[0]));
        }
        long spent = 0;
        while (!queue.isEmpty()) {
            Next n = queue.poll();
            Spectrum sp = layers.get(n.name);
            long cost = sp.rows() + sp.cols();
            if (spent + cost > budget) continue; // a cheaper layer's direction may still fit
            spent += cost;
            ranks.put(n.name, n.index + 1);
            int following = n.index + 1;
            if (following < maxRank(sp)) queue.add(new Next(n.name, following, values.get(n.name)[following]));
        }
        return ranks;
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
}
