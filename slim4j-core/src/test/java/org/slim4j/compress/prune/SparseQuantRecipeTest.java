package org.slim4j.compress.prune;

import org.slim4j.testutil.LayerError;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.lowrank.LowRankCorrected;
import org.slim4j.compress.lowrank.SparsePlusLowRank;
import org.slim4j.compress.quant.Gptq;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.recipe.Recipe;
import org.slim4j.compress.recipe.RecipeParser;

class SparseQuantRecipeTest {
    static final String SPARSE_QUANT = """
            stages:
              - name: sparsity
                modifiers:
                  - method: sparsegpt
                    options: {mask_structure: "2:4"}
              - name: quantize
                modifiers:
                  - method: gptq
                    scheme: {bits: 4, group_size: 32, symmetric: true}
            """;

    @Test
    void sparseGptThenGptqIsOneMaskKeepingStage() {
        Recipe r = RecipeParser.parse(SPARSE_QUANT, "test.yaml");
        List<Compressor> stages = r.plan(Set.of("w")).stagesFor("w");
        assertEquals(1, stages.size());
        assertInstanceOf(PruneThenQuantize.class, stages.get(0));
        int rows = 32, cols = 128, n = 300;
        LinearWeight w = PruneTest.random(rows, cols, 1);
        float[] x = PruneTest.inputs(n, cols, 2);
        InputStats st = new InputStats(cols, true);
        st.add(x, n);
        SparseQuantizedLinear q = (SparseQuantizedLinear) stages.get(0).compress(w, st);
        float[] e = q.effectiveWeight();
        for (int r0 = 0; r0 < rows; r0++) {
            for (int g = 0; g < cols; g += 4) {
                int nz = 0;
                for (int i = 0; i < 4; i++) if (e[r0 * cols + g + i] != 0) nz++;
                assertTrue(nz <= 2, "2:4 kept through quantization");
            }
        }
        assertEquals(4 + 16.0 / 32, q.bitsPerWeight(), 1e-9); // as written: pack-quantized codes for every entry + fp16 scales
        // chaining the two methods naively refills the pruned weights, so the stage must choose how to keep the mask
        CompressedLinear sparse = new SparseGpt(SparsityPattern.nm(2, 4)).compress(w, st);
        float[] naive = new Gptq(new QuantScheme(4, 32, true)).compress(w.withValues(sparse.effectiveWeight()), st).effectiveWeight();
        int refilled = 0;
        boolean[] keep = ((SparseLinear) sparse).keep();
        for (int i = 0; i < naive.length; i++) {
            if (!keep[i] && naive[i] != 0) refilled++;
            if (!keep[i]) naive[i] = 0;
        }
        assertTrue(refilled > 0);
        double fused = LayerError.outputError(w.w(), e, x, rows, cols, n), chained = LayerError.outputError(w.w(), naive, x, rows, cols, n);
        assertTrue(fused <= chained * (1 + 1e-6), fused + " vs " + chained);
        // and it did quantize: the error is above the fp16 sparse layer's
        assertTrue(fused > LayerError.outputError(w.w(), sparse.effectiveWeight(), x, rows, cols, n));
    }

    @Test
    void recipesNameEveryPruningAndLowRankMethod() {
        String yaml = """
                stages:
                  - modifiers:
                      - {method: magnitude, options: {sparsity: 0.3}, targets: ['a']}
                      - {method: wanda, options: {mask_structure: "4:8"}, targets: ['b']}
                      - {method: sparsegpt, scheme: {bits: 4, group_size: 32}, options: {mask_structure: "2:4"}, targets: ['c']}
                      - {method: asvd, options: {ratio: 0.4}, targets: ['d']}
                      - {method: svd-sparse, options: {ratio: 0.3, density: 0.02}, targets: ['e']}
                      - {method: eora, scheme: {bits: 3, group_size: 64}, options: {rank: 8}, targets: ['f']}
                """;
        var plan = RecipeParser.parse(yaml, "t.yaml").plan(Set.of("a", "b", "c", "d", "e", "f"));
        assertEquals("magnitude", plan.stagesFor("a").get(0).name());
        assertEquals("wanda", plan.stagesFor("b").get(0).name());
        assertEquals("sparsegpt+int4 g32 sym", plan.stagesFor("c").get(0).name());
        assertEquals("asvd", plan.stagesFor("d").get(0).name());
        assertInstanceOf(SparsePlusLowRank.class, plan.stagesFor("e").get(0));
        assertInstanceOf(LowRankCorrected.class, plan.stagesFor("f").get(0));
        var bad = assertThrows(RuntimeException.class, () -> RecipeParser.parse("stages: [{modifiers: [{method: eora}]}]", "t.yaml"));
        assertTrue(bad.getMessage().contains("scheme"), bad.getMessage());
    }
}
