package org.slim4j.model;

/**
 * What one generation produced: the new text (without the end token or the stop string that ended it), the tokens of
 * the prompt and of the continuation, and why it ended.
 */
public record Generation(String text, int promptTokens, int completionTokens, FinishReason finishReason) {
    /** As OpenAI names them: STOP at an end-of-generation token or a stop string, LENGTH at the token limit or the context's end. */
    public enum FinishReason {
        STOP, LENGTH;

        /** "stop" or "length", as the OpenAI API writes it. */
        public String openAi() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
