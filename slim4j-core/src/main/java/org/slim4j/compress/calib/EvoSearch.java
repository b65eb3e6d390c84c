package org.slim4j.compress.calib;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.Progress;

/**
 * EvoPress's (1+lambda) evolutionary search over per-tensor types (Sieberling et al. 2024, "EvoPress: Towards Optimal
 * Dynamic Model Compression via Evolutionary Search", arXiv:2410.14649), started from an allocator's assignment.
 *
 * <p>Each tensor's types, ordered by bytes, are its levels. A generation makes {@code lambda} offspring of the parent by
 * level swaps: one to three pairs (fewer more often) of one tensor raised a level and another lowered one (half of the
 * time one of the same shape, whose level costs the same bytes, else any); when a
 * raise costs more bytes than its lowering frees (the token embedding against a key projection), further random
 * tensors are lowered a level until the offspring fits, and one that does not fit after that is drawn again: no
 * offspring exceeds the budget. Selection is staged, as in the paper: every offspring is scored on a few calibration
 * tokens by the KL divergence of its next-token distributions to the original model's ({@link KlFitness}); the best
 * {@code survivors} are scored again on more tokens, and the best of them replaces the parent only when its KL
 * divergence there is lower than the parent's. The result is therefore never worse than the start on the second stage's
 * tokens, and never larger than the budget.
 *
 * <p>The quantized versions of every (tensor, type) come from {@code quantized} (a {@link QuantCache}: computed once,
 * off the heap), so an offspring costs a forward pass, from the first block it changes.
 */
public final class EvoSearch {
    /**
     * @param generations how many generations (0: none)
     * @param offspring   lambda, offspring per generation
     * @param survivors   offspring re-scored on the second stage's tokens
     * @param seed        the random source of the mutations
     */
    public record Options(int generations, int offspring, int survivors, long seed) {
        public Options {
            if (generations < 0) throw new IllegalArgumentException("generations must be >= 0, got " + generations);
            if (offspring < 1) throw new IllegalArgumentException("offspring must be >= 1, got " + offspring);
            if (survivors < 1 || survivors > offspring) throw new IllegalArgumentException("survivors must be in 1.." + offspring + ", got " + survivors);
        }
    }

    /** One generation: the parent's KL divergence after it (second stage), and whether an offspring replaced the parent. */
    public record Generation(int index, double kld, boolean improved, long bytes) {}

    /** The best assignment found, its start's and its own KL divergence on the second stage's tokens, and each generation. */
    public record Result(Map<String, DType> types, double startKld, double kld, long bytes, List<Generation> generations) {}

    private EvoSearch() {}

    /**
     * @param few       the model over the first stage's tokens, holding the original weights
     * @param more      the same model over the second stage's tokens
     * @param curves    every searched tensor's options (their types are the levels, their bytes count against the budget)
     * @param start     the starting type of every curve's tensor; its bytes must be within {@code budget}
     * @param budget    the most bytes the searched tensors may take together
     * @param quantized the tensor of a name in a type, as the model's kernels read it
     */
    public static Result search(LlamaBlocks few, LlamaBlocks more, List<TypeBudget.Curve> curves, Map<String, DType> start, long budget,
            BiFunction<String, DType, Tensor> quantized, Options o) {
        int n = curves.size();
        String[] names = new String[n];
        DType[][] types = new DType[n][];
        long[][] bytes = new long[n][];
        int[] first = new int[n];
        int[] parent = new int[n];
        for (int i = 0; i < n; i++) {
            TypeBudget.Curve c = curves.get(i);
            List<TypeBudget.Option> opts = c.options().stream().sorted(Comparator.comparingLong(TypeBudget.Option::bytes)).toList();
            names[i] = c.tensor();
            types[i] = opts.stream().map(TypeBudget.Option::type).toArray(DType[]::new);
            bytes[i] = opts.stream().mapToLong(TypeBudget.Option::bytes).toArray();
            first[i] = few.firstBlock(names[i]);
            parent[i] = Arrays.asList(types[i]).indexOf(start.get(names[i]));
            if (parent[i] < 0) throw new IllegalArgumentException(names[i] + ": its start type " + start.get(names[i]) + " is none of " + Arrays.toString(types[i]));
        }
        if (size(parent, bytes) > budget) throw new IllegalArgumentException("the start takes " + size(parent, bytes) + " bytes, over the budget of " + budget);
        Map<String, Tensor> originals = new LinkedHashMap<>();
        for (String name : names) originals.put(name, few.tensor(name));
        try {
            KlFitness stage1 = new KlFitness(few), stage2 = new KlFitness(more);
            apply(few, names, types, parent, quantized);
            KlFitness.Trace p1 = stage1.run(), p2 = stage2.run();
            double startKld = p2.kld();
            Random rnd = new Random(o.seed());
            List<Generation> history = new ArrayList<>();
            Progress progress = new Progress("search", o.generations());
            for (int g = 0; g < o.generations(); g++) {
                List<int[]> kids = new ArrayList<>();
                Set<String> seen = new HashSet<>();
                seen.add(Arrays.toString(parent));
                for (int k = 0; k < o.offspring(); k++) {
                    int[] kid = mutate(parent, bytes, budget, rnd, seen);
                    if (kid != null) kids.add(kid);
                }
                if (kids.isEmpty()) break; // no neighbour fits the budget
                KlFitness.Trace[] t1 = new KlFitness.Trace[kids.size()];
                for (int k = 0; k < kids.size(); k++) {
                    apply(few, names, types, kids.get(k), quantized);
                    t1[k] = stage1.run(from(parent, kids.get(k), first), p1);
                }
                Integer[] order = new Integer[kids.size()];
                for (int k = 0; k < order.length; k++) order[k] = k;
                Arrays.sort(order, Comparator.comparingDouble(k -> t1[k].kld()));
                int best = -1;
                KlFitness.Trace bestTrace = null;
                for (int s = 0; s < Math.min(o.survivors(), order.length); s++) {
                    int[] kid = kids.get(order[s]);
                    apply(few, names, types, kid, quantized);
                    KlFitness.Trace t2 = stage2.run(from(parent, kid, first), p2);
                    if (t2.kld() < (bestTrace == null ? p2.kld() : bestTrace.kld())) {
                        best = order[s];
                        bestTrace = t2;
                    }
                }
                boolean improved = best >= 0;
                if (improved) {
                    parent = kids.get(best);
                    p1 = t1[best];
                    p2 = bestTrace;
                }
                history.add(new Generation(g + 1, p2.kld(), improved, size(parent, bytes)));
                progress.step(g + 1, String.format(Locale.ROOT, "KLD %.6f%s (start %.6f)", p2.kld(), improved ? " improved" : "", startKld));
            }
            Map<String, DType> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) out.put(names[i], types[i][parent[i]]);
            return new Result(out, startKld, p2.kld(), size(parent, bytes), List.copyOf(history));
        } finally {
            originals.forEach(few::setTensor);
        }
    }

    /**
     * An offspring: level swaps (raise one, lower another), then more lowerings while it exceeds the budget; null when
     * 1000 draws gave none that fits and differs from the parent and the offspring drawn before.
     */
    static int[] mutate(int[] parent, long[][] bytes, long budget, Random rnd, Set<String> seen) {
        int n = parent.length;
        for (int attempt = 0; attempt < 1000; attempt++) {
            int[] kid = parent.clone();
            int pairs = Math.min(1 + rnd.nextInt(3), 1 + rnd.nextInt(3));
            boolean[] raised = new boolean[n];
            for (int p = 0; p < pairs; p++) {
                int up = rnd.nextInt(n), down = rnd.nextBoolean() ? rnd.nextInt(n) : sameSize(up, bytes, rnd);
                if (up == down || kid[up] + 1 >= bytes[up].length || kid[down] == 0 || raised[down]) continue;
                kid[up]++;
                kid[down]--;
                raised[up] = true;
            }
            for (int extra = 0; extra < 16 && size(kid, bytes) > budget; extra++) {
                int down = rnd.nextInt(n);
                if (!raised[down] && kid[down] > 0) kid[down]--;
            }
            if (size(kid, bytes) <= budget && seen.add(Arrays.toString(kid))) return kid;
        }
        return null;
    }

    /**
     * A random tensor of the same size as {@code up} (itself when none other is): half of the swaps pair tensors of one
     * shape, whose levels cost the same bytes, so the swap fits without further lowerings.
     */
    private static int sameSize(int up, long[][] bytes, Random rnd) {
        int count = 0, pick = up;
        for (int j = 0; j < bytes.length; j++) {
            if (j != up && Arrays.equals(bytes[j], bytes[up]) && rnd.nextInt(++count) == 0) pick = j; // reservoir sampling
        }
        return pick;
    }

    static long size(int[] levels, long[][] bytes) {
        long s = 0;
        for (int i = 0; i < levels.length; i++) s += bytes[i][levels[i]];
        return s;
    }

    /** The first block an offspring changes relative to its parent. */
    private static int from(int[] parent, int[] kid, int[] first) {
        int f = Integer.MAX_VALUE;
        for (int i = 0; i < kid.length; i++) if (kid[i] != parent[i]) f = Math.min(f, first[i]);
        return f;
    }

    private static void apply(LlamaBlocks model, String[] names, DType[][] types, int[] levels, BiFunction<String, DType, Tensor> quantized) {
        for (int i = 0; i < names.length; i++) {
            Tensor now = model.tensor(names[i]), want = quantized.apply(names[i], types[i][levels[i]]);
            if (now != want) model.setTensor(names[i], want);
        }
    }
}
