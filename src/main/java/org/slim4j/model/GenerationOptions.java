package org.slim4j.model;

/**
 * How {@link CausalLM#generate} picks tokens: up to {@code maxNewTokens}; temperature 0 is greedy, otherwise top-k then
 * top-p (nucleus) sampling with a seeded generator, so the same options give the same text.
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed) {
    public GenerationOptions {
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0");
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("topP must be in (0, 1]");
    }

    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1, 0);
    }

    public static GenerationOptions sampled(int maxNewTokens, double temperature, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, 40, 0.95, seed);
    }
}
