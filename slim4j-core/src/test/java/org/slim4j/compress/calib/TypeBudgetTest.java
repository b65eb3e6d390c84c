package org.slim4j.compress.calib;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.DType;

class TypeBudgetTest {
    private static final DType[] TYPES = {DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q6_K};

    /** Random convex-ish and non-convex curves: the knapsack must find the brute-force optimum within the budget. */
    @Test
    void allocationIsTheBruteForceOptimum() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            int n = 2 + rnd.nextInt(4);
            List<TypeBudget.Curve> curves = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                List<TypeBudget.Option> opts = new ArrayList<>();
                long base = 1024L * (1 + rnd.nextInt(50));
                double err = 1 + rnd.nextDouble() * 10;
                for (int k = 0; k < TYPES.length; k++) {
                    opts.add(new TypeBudget.Option(TYPES[k], base * (k + 2), err));
                    err *= rnd.nextDouble() * 0.9;
                }
                curves.add(new TypeBudget.Curve("t" + t, List.copyOf(opts)));
            }
            long min = 0, max = 0;
            for (TypeBudget.Curve c : curves) {
                min += c.options().getFirst().bytes();
                max += c.options().getLast().bytes();
            }
            long budget = min + (long) (rnd.nextDouble() * (max - min));
            Map<String, DType> got = TypeBudget.allocate(curves, budget);
            long bytes = 0;
            for (TypeBudget.Curve c : curves) for (TypeBudget.Option o : c.options()) if (o.type() == got.get(c.tensor())) bytes += o.bytes();
            assertTrue(bytes <= budget, bytes + " > " + budget);
            assertEquals(bruteForce(curves, budget, 0, 0), TypeBudget.predicted(curves, got), 1e-9, "trial " + trial);
        }
        assertNull(TypeBudget.allocate(List.of(new TypeBudget.Curve("x", List.of(new TypeBudget.Option(DType.Q2_K, 4096, 1)))), 2048), "below the cheapest");
    }

    private static double bruteForce(List<TypeBudget.Curve> curves, long budget, int i, long used) {
        if (i == curves.size()) return 0;
        double best = Double.POSITIVE_INFINITY;
        for (TypeBudget.Option o : curves.get(i).options()) {
            if (used + o.bytes() > budget) continue;
            best = Math.min(best, o.kld() + bruteForce(curves, budget, i + 1, used + o.bytes()));
        }
        return best;
    }
}
