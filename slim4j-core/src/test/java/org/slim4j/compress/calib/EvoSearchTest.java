package org.slim4j.compress.calib;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.Progress;

/** The evolutionary type search on tiny-llama-rand: within the budget, never worse than its start, its KLD reproducible. */
class EvoSearchTest {
    private static final List<DType> TYPES = List.of(DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q6_K);

    @Test
    void searchStaysWithinTheBudgetAndNeverEndsWorseThanItsStart() throws Exception {
        Progress.setEnabled(false);
        try (LlamaModel m = LlamaLoader.load(Fixtures.TINY_LLAMA)) {
            int[][] calib = CalibrationText.tokens(List.of(Fixtures.DATA.resolve("kjv-bible.txt")), m.tokenizer(), 4, 48, 3);
            int[][] few = {Arrays.copyOf(calib[0], 24), Arrays.copyOf(calib[1], 24)};
            LlamaBlocks fewBlocks = new LlamaBlocks(m, few), moreBlocks = new LlamaBlocks(m, calib);
            List<String> names = new ArrayList<>(fewBlocks.extraTensors());
            for (int b = 0; b < fewBlocks.blocks(); b++) names.addAll(fewBlocks.linears(b));
            List<TypeBudget.Curve> curves = new ArrayList<>();
            Map<String, DType> start = new LinkedHashMap<>();
            Map<String, Tensor> originals = new LinkedHashMap<>();
            long budget = 0;
            for (String name : names) {
                Tensor t = fewBlocks.tensor(name);
                originals.put(name, t);
                List<TypeBudget.Option> opts = new ArrayList<>();
                for (DType d : TYPES) opts.add(new TypeBudget.Option(d, t.rows() * d.bytesFor(Math.toIntExact(t.cols())), 0));
                curves.add(new TypeBudget.Curve(name, opts));
                DType s = name.contains("attn_v") || name.contains("v_proj") ? DType.Q4_K : DType.Q3_K; // a start the search can trade against
                start.put(name, s);
                budget += t.rows() * s.bytesFor(Math.toIntExact(t.cols()));
            }
            try (QuantCache cache = new QuantCache(originals::get, null)) {
                EvoSearch.Result r = EvoSearch.search(fewBlocks, moreBlocks, curves, start, budget, cache::get, new EvoSearch.Options(6, 4, 2, 11));
                assertEquals(6, r.generations().size());
                assertTrue(r.bytes() <= budget, r.bytes() + " > " + budget);
                long bytes = 0;
                for (TypeBudget.Curve c : curves) for (TypeBudget.Option o : c.options()) if (o.type() == r.types().get(c.tensor())) bytes += o.bytes();
                assertEquals(r.bytes(), bytes, "the result's bytes are its types' bytes");
                assertTrue(r.kld() <= r.startKld(), r.kld() + " > start " + r.startKld());
                assertTrue(r.startKld() > 0);
                double last = r.startKld();
                for (EvoSearch.Generation g : r.generations()) {
                    assertTrue(g.kld() <= last, "the parent's KLD never rises");
                    assertTrue(g.bytes() <= budget);
                    last = g.kld();
                }
                for (String name : names) assertSame(originals.get(name), fewBlocks.tensor(name), "original weights restored: " + name);
                // the reported KLD is the result's: a fresh fitness on the second stage's tokens with its types applied
                KlFitness fresh = new KlFitness(moreBlocks);
                r.types().forEach((name, type) -> moreBlocks.setTensor(name, cache.get(name, type)));
                assertEquals(r.kld(), fresh.run().kld(), 1e-9 + 1e-6 * r.kld());
                start.forEach((name, type) -> moreBlocks.setTensor(name, cache.get(name, type)));
                assertEquals(r.startKld(), fresh.run().kld(), 1e-9 + 1e-6 * r.startKld());
                originals.forEach(moreBlocks::setTensor);
                assertTrue(cache.bytes() > 0);
            }
        }
    }

    /** Every offspring fits the budget, differs from its parent and from its siblings. */
    @Test
    void mutationsKeepTheBudget() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 2 + rnd.nextInt(20);
            long[][] bytes = new long[n][];
            int[] parent = new int[n];
            for (int i = 0; i < n; i++) {
                int levels = 1 + rnd.nextInt(5);
                bytes[i] = new long[levels];
                long size = 1 + rnd.nextInt(1000);
                for (int k = 0; k < levels; k++) bytes[i][k] = size * (k + 2) + rnd.nextInt(50);
                for (int k = 1; k < levels; k++) bytes[i][k] = Math.max(bytes[i][k], bytes[i][k - 1] + 1);
                parent[i] = rnd.nextInt(levels);
            }
            long budget = EvoSearch.size(parent, bytes) + rnd.nextInt(200);
            Set<String> seen = new HashSet<>();
            seen.add(Arrays.toString(parent));
            for (int k = 0; k < 6; k++) {
                int[] kid = EvoSearch.mutate(parent, bytes, budget, rnd, seen);
                if (kid == null) continue;
                assertTrue(EvoSearch.size(kid, bytes) <= budget, "trial " + trial);
                assertFalse(Arrays.equals(kid, parent));
                for (int i = 0; i < n; i++) assertTrue(kid[i] >= 0 && kid[i] < bytes[i].length);
            }
        }
    }

    @Test
    void negativeGenerationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EvoSearch.Options(-1, 4, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new EvoSearch.Options(1, 0, 1, 1));
    }
}
