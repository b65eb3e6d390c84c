package org.slim4j.compress.recipe;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.quant.Gptq;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.util.BadInputException;

class RecipeParserTest {
    private static final String GOOD = """
            stages:
              - name: quantize
                modifiers:
                  - method: gptq
                    scheme: {bits: 4, group_size: 64, symmetric: false}
                    options: {dampening: 0.02, act_order: false}
                  - method: rtn
                    scheme: {bits: 8}
                    targets: ['.*output[.]dense.*']
                  - method: rtn-mse
                    scheme: {bits: 4, group_size: 64}
                    targets: [Embedding]
            """;

    @Test
    void lastMatchingModifierWinsAndEmbeddingsAreSeparate() {
        Recipe r = RecipeParser.parse(GOOD, "r.yaml");
        CompressionPlan p = r.plan(Set.of("layer.0.attention.output.dense.weight", "layer.0.query.weight"));
        assertInstanceOf(Gptq.class, p.stagesFor("layer.0.query.weight").getFirst());
        assertInstanceOf(Rtn.class, p.stagesFor("layer.0.attention.output.dense.weight").getFirst());
        assertEquals("rtn-mse", p.stagesFor("embeddings.word_embeddings.weight").getFirst().name());
        assertTrue(r.needsCalibration());
    }

    @Test
    void malformedRecipesNameTheFileAndTheField() {
        String[][] cases = {
            {"stages: 3", "stages"},
            {"stages:\n  - name: a\n", "stages[0].modifiers"},
            {"stages:\n  - modifiers:\n      - method: foo\n        scheme: {bits: 4}\n", "stages[0].modifiers[0].method"},
            {"stages:\n  - modifiers:\n      - method: gptq\n        scheme: {bits: 9}\n", "stages[0].modifiers[0].scheme.bits"},
            {"stages:\n  - modifiers:\n      - method: gptq\n        scheme: {bits: 4, group_size: x}\n", "stages[0].modifiers[0].scheme.group_size"},
            {"stages:\n  - modifiers:\n      - method: gptq\n        scheme: {bits: 4}\n        options: {dampning: 0.1}\n", "stages[0].modifiers[0].options.dampning"},
            {"stages:\n  - modifiers:\n      - method: rtn\n        scheme: {bits: 4}\n        targets: ['(']\n", "stages[0].modifiers[0].targets[0]"},
            {"stages: [\n", "yaml"},
        };
        for (String[] c : cases) {
            BadInputException e = assertThrows(BadInputException.class, () -> RecipeParser.parse(c[0], "bad.yaml"), c[0]);
            assertEquals("bad.yaml", e.source(), c[0]);
            assertEquals(c[1], e.field(), c[0]);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void schemeShortcuts() {
        CompressionPlan w8 = Schemes.recipe("w8").plan(Set.of("l"));
        assertEquals("rtn", w8.stagesFor("l").getFirst().name());
        assertEquals(List.of(), w8.stagesFor("embeddings.word_embeddings.weight"));
        CompressionPlan g = Schemes.recipe("w4g64-gptq-asym-emb").plan(Set.of("l"));
        assertInstanceOf(Gptq.class, g.stagesFor("l").getFirst());
        assertEquals("rtn-mse", g.stagesFor("emb").getFirst().name());
        assertEquals(1, g.stagesFor("embeddings.position_embeddings.weight").size(), "added to every token: one 8-bit stage");
        assertEquals("rtn", g.stagesFor("embeddings.position_embeddings.weight").getFirst().name());
        assertEquals("rtn", g.stagesFor("embeddings.token_type_embeddings.weight").getFirst().name());
        assertThrows(BadInputException.class, () -> Schemes.recipe("w4g64-foo"));
        assertThrows(BadInputException.class, () -> Schemes.recipe("w4g64-mix-emb"), "suffixes in their order");
        assertThrows(BadInputException.class, () -> Schemes.recipe("w9"));
    }

    @Test
    void theMixKeepsValueAndOutputProjectionsAt8BitsAndGroupsEmbeddingsBy32() {
        String v = "encoder.layer.3.attention.self.value.weight", o = "encoder.layer.3.attention.output.dense.weight";
        String q = "encoder.layer.3.attention.self.query.weight", down = "encoder.layer.3.output.dense.weight";
        String llamaV = "model.layers.0.self_attn.v_proj.weight", llamaO = "model.layers.0.self_attn.o_proj.weight";
        String llamaDown = "model.layers.0.mlp.down_proj.weight";
        CompressionPlan mix = Schemes.recipe("w4g64-gptq-asym-emb-mix").plan(Set.of(v, o, q, down, llamaV, llamaO, llamaDown));
        for (String eight : List.of(v, o, llamaV, llamaO)) {
            assertEquals(List.of(mix.stagesFor(eight).getFirst()), mix.stagesFor(eight), eight);
            assertInstanceOf(Gptq.class, mix.stagesFor(eight).getFirst(), eight);
            assertEquals(new QuantScheme(8, QuantScheme.PER_CHANNEL, true), mix.stagesFor(eight).getFirst().grid(), eight);
        }
        for (String four : List.of(q, down, llamaDown)) {
            assertEquals(new QuantScheme(4, 64, false), mix.stagesFor(four).getFirst().grid(), four);
        }
        assertEquals(new QuantScheme(4, 32, false), mix.stagesFor("embeddings.word_embeddings.weight").getFirst().grid());
        assertEquals(new QuantScheme(8, QuantScheme.PER_CHANNEL, true), mix.stagesFor("embeddings.position_embeddings.weight").getFirst().grid());
        assertEquals(new QuantScheme(4, 64, false), Schemes.recipe("w4g64-gptq-asym-emb").plan(Set.of(v)).stagesFor(v).getFirst().grid(), "no mix: all at the scheme");
        assertEquals(new QuantScheme(4, 16, true), Schemes.recipe("w4g16-emb-mix").plan(Set.of()).stagesFor("emb").getFirst().grid(), "groups already finer than 32 stay");
    }
}
