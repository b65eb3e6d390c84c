package org.slim4j.model;

import java.util.List;

/**
 * How {@link CausalLM#generate} picks tokens: up to {@code maxNewTokens}; temperature 0 is greedy, otherwise top-k then
 * top-p (nucleus) sampling with a seeded generator, so the same options give the same text. Generation also ends at
 * the model's end-of-generation tokens and, as OpenAI's {@code stop} does, before the first of the {@code stop} strings
 * (which is not part of the text).
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed, List<String> stop) {
    public GenerationOptions {
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0");
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be a number >= 0");
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0 (0 keeps all tokens)");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1]");
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    public GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed) {
        this(maxNewTokens, temperature, topK, topP, seed, List.of());
    }

    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1, 0);
    }

    public static GenerationOptions sampled(int maxNewTokens, double temperature, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, 40, 0.95, seed);
    }

    public GenerationOptions withStop(List<String> strings) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, strings);
    }

    public GenerationOptions withMaxNewTokens(int n) {
        return new GenerationOptions(n, temperature, topK, topP, seed, stop);
    }
}
