package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.compress.recipe.Recipe;
import org.slim4j.compress.recipe.RecipeParser;

/** Recipes: YAML, stages, modifiers, schemes, options of every method, and the plan they make for a model's tensors. */
class RecipeFuzzTest {
    private static final Set<String> LINEARS = Set.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight");
    private static final Set<String> TENSORS = Set.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.mlp.down_proj.weight", "model.norm.weight");

    static Stream<byte[]> seeds() {
        return FuzzSeeds.recipes().map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @MethodSource("seeds")
    @FuzzTest
    void recipe(byte[] data) {
        FuzzInput.read(() -> {
            Recipe r = RecipeParser.parse(new String(data, StandardCharsets.UTF_8), "recipe.yaml");
            var plan = r.plan(LINEARS);
            for (String t : TENSORS) plan.stagesFor(t);
            r.check(LINEARS, Set.of("model.embed_tokens.weight", "model.norm.weight"), name -> 64);
        });
    }
}
