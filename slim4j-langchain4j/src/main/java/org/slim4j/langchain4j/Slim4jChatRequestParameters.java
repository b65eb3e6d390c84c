package org.slim4j.langchain4j;

import dev.langchain4j.internal.Utils;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * LangChain4j's common chat parameters plus what slim4j's sampler also takes: the {@code seed} of its random generator
 * (the same seed, options and prompt give the same text). Given as a model's defaults or with one request; a request's
 * values override the defaults one by one.
 */
public class Slim4jChatRequestParameters extends DefaultChatRequestParameters {
    public static final Slim4jChatRequestParameters EMPTY = builder().build();

    private final Long seed;

    protected Slim4jChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
    }

    /** The sampler's seed, or null for a fresh one per request (sampling only; greedy decoding needs none). */
    public Long seed() {
        return seed;
    }

    @Override
    public Slim4jChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Objects.equals(seed, ((Slim4jChatRequestParameters) o).seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed);
    }

    @Override
    public String toString() {
        return "Slim4jChatRequestParameters{modelName=" + modelName() + ", temperature=" + temperature() + ", topP=" + topP()
                + ", topK=" + topK() + ", maxOutputTokens=" + maxOutputTokens() + ", stopSequences=" + stopSequences()
                + ", seed=" + seed + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;

        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof Slim4jChatRequestParameters s) seed(Utils.getOrDefault(s.seed(), seed));
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        @Override
        public Slim4jChatRequestParameters build() {
            return new Slim4jChatRequestParameters(this);
        }
    }
}
