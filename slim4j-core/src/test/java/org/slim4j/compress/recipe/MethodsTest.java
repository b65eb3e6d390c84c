package org.slim4j.compress.recipe;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.calib.LayerResult;
import org.slim4j.compress.calib.LayerwiseCompressor;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.compress.lowrank.GlobalRanks;
import org.slim4j.compress.lowrank.RankRule;
import org.slim4j.compress.quant.SqueezeLlm;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Progress;

/** The one method table: every method reachable from a recipe, every unknown option refused with its field named. */
class MethodsTest {
    private static final Set<String> NEED_SCHEME = Set.of("rtn", "rtn-mse", "gptq", "awq", "squeezellm", "lqlora", "eora");

    private static String modifier(String method, String options) {
        String scheme = NEED_SCHEME.contains(method) ? "\n        scheme: {bits: 4, group_size: 32}" : "";
        return "stages:\n  - modifiers:\n      - method: " + method + scheme + (options == null ? "" : "\n        options: " + options) + "\n";
    }

    @Test
    void everyMethodIsReachableFromARecipe() {
        Set<String> names = new HashSet<>();
        for (String m : Methods.names()) {
            Compressor c = RecipeParser.parse(modifier(m, null), "r.yaml").stages().getFirst().getFirst().compressor();
            assertNotNull(c, m);
            names.add(m);
        }
        assertTrue(names.containsAll(List.of("rtn", "gptq", "awq", "squeezellm", "magnitude", "wanda", "sparsegpt", "svd", "asvd", "svd-llm",
                "svd-sparse", "svd-llm-sparse", "lqlora", "eora")), names.toString());
        Compressor lut = RecipeParser.parse(modifier("squeezellm", "{outliers: 0.01}"), "r.yaml").stages().getFirst().getFirst().compressor();
        assertInstanceOf(SqueezeLlm.class, lut);
        Compressor global = RecipeParser.parse(modifier("svd-llm", "{ratio: 0.4, allocation: global}"), "r.yaml").stages().getFirst().getFirst().compressor();
        assertInstanceOf(GlobalRanks.class, global);
        assertSame(global, global.globalAllocation());
    }

    @Test
    void unknownOptionsOfEveryMethodNameTheOption() {
        for (String m : Methods.names()) {
            BadInputException e = assertThrows(BadInputException.class, () -> RecipeParser.parse(modifier(m, "{sparsty: 0.5}"), "r.yaml"), m);
            assertEquals("r.yaml", e.source(), m);
            assertEquals("stages[0].modifiers[0].options.sparsty", e.field(), m);
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void badOptionValuesNameTheOption() {
        String[][] cases = {
            {"wanda", "{sparsity: 1.5}", "stages[0].modifiers[0].options"},
            {"wanda", "{sparsity: x}", "stages[0].modifiers[0].options.sparsity"},
            {"magnitude", "{mask_structure: 24}", "stages[0].modifiers[0].options.mask_structure"},
            {"sparsegpt", "{mask_structure: \"2-4\"}", "stages[0].modifiers[0].options"},
            {"svd", "{ratio: 0.5, rank: 8}", "stages[0].modifiers[0].options"},
            {"svd-llm", "{allocation: best}", "stages[0].modifiers[0].options.allocation"},
            {"gptq", "{block_size: 1.5}", "stages[0].modifiers[0].options.block_size"},
            {"eora", "{base: awq}", "stages[0].modifiers[0].options.base"},
            {"rtn-mse", "{mse_clip: true}", "stages[0].modifiers[0].options.mse_clip"},
        };
        for (String[] c : cases) {
            BadInputException e = assertThrows(BadInputException.class, () -> RecipeParser.parse(modifier(c[0], c[1]), "r.yaml"), c[0] + " " + c[1]);
            assertEquals(c[2], e.field(), c[0] + " " + c[1] + ": " + e.getMessage());
        }
        BadInputException noScheme = assertThrows(BadInputException.class,
                () -> RecipeParser.parse("stages:\n  - modifiers:\n      - method: wanda\n        scheme: {bits: 4}\n", "r.yaml"));
        assertEquals("stages[0].modifiers[0].scheme", noScheme.field());
    }

    /** allocation: global runs the probe pass, then truncates every layer at its share of one budget. */
    @Test
    @Tag("slow")
    void globalRanksRunFromARecipeWithinTheUniformBudget() {
        Progress.setEnabled(false);
        Recipe r = RecipeParser.parse("stages:\n  - modifiers:\n      - {method: svd-llm, options: {ratio: 0.4, allocation: global}}\n", "r.yaml");
        try (LlamaModel m = LlamaLoader.load(Fixtures.TINY_LLAMA)) {
            int[][] calib = CalibrationText.tokens(List.of(Fixtures.DATA.resolve("kjv-bible.txt")), m.tokenizer(), 4, 64, 1);
            LlamaBlocks blocks = new LlamaBlocks(m, calib);
            Set<String> linears = new HashSet<>();
            for (int b = 0; b < blocks.blocks(); b++) linears.addAll(blocks.linears(b));
            CompressionPlan plan = r.plan(linears);
            List<LayerResult> results = new LayerwiseCompressor(plan).run(blocks);
            assertEquals(linears.size(), results.size());
            GlobalRanks g = (GlobalRanks) plan.stagesFor(linears.iterator().next()).getFirst();
            Map<String, Integer> ranks = g.ranks();
            long params = 0, uniform = 0;
            Set<Integer> distinct = new HashSet<>();
            for (String name : linears) {
                var w = blocks.weight(name);
                params += (long) ranks.get(name) * (w.rows() + w.cols());
                uniform += (long) RankRule.ratioRank(w.rows(), w.cols(), 0.4) * (w.rows() + w.cols());
                distinct.add(ranks.get(name) * 10_000 / Math.min(w.rows(), w.cols()));
            }
            assertTrue(params <= uniform, params + " > " + uniform);
            assertTrue(distinct.size() > 1, "the budget moved rank between layers: " + ranks);
            for (LayerResult lr : results) assertTrue(lr.method().startsWith("rank " + ranks.get(lr.name())), lr.method());
        }
    }
}
