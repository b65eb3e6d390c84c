package org.slim4j.model;

import java.util.List;
import java.util.function.Consumer;
import org.slim4j.model.chat.ChatMessage;
import org.slim4j.model.chat.ChatTemplate;
import org.slim4j.tokenizer.Tokenizer;

/** A decoder-only language model (Llama family). */
public interface CausalLM extends AutoCloseable {

    Tokenizer tokenizer();

    int vocabSize();

    int contextLength();

    /** Logits for every position of {@code tokens} (a fresh sequence), row-major [tokens.length][vocabSize]. */
    float[] logits(int[] tokens);

    /**
     * Logits of positions [from, to) only, [to - from][vocabSize], for a fresh sequence of {@code tokens} (evaluations
     * score the second half of each chunk, as llama.cpp's perplexity tool asks for only those logits).
     */
    default float[] logits(int[] tokens, int from, int to) {
        if (from < 0 || to > tokens.length || from > to) throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + tokens.length);
        return java.util.Arrays.copyOfRange(logits(tokens), from * vocabSize(), to * vocabSize());
    }

    /**
     * As {@link #logits(int[], int, int)} into {@code out} (at least [to - from][vocabSize]): an evaluation scoring
     * chunk after chunk reuses one array instead of allocating tens of megabytes a chunk for the collector to zero,
     * copy and free.
     */
    default void logits(int[] tokens, int from, int to, float[] out) {
        float[] l = logits(tokens, from, to);
        System.arraycopy(l, 0, out, 0, l.length);
    }

    /**
     * Continues {@code promptIds}, passing text to {@code onText} (may be null) as it becomes final: whole characters,
     * never part of a stop string. Ends at an end-of-generation token, a stop string, {@code maxNewTokens} or the end of
     * the context; an exception thrown by {@code onText} ends generation and propagates.
     */
    Generation generate(int[] promptIds, GenerationOptions options, Consumer<String> onText);

    /** Continues {@code prompt} (BOS added where the model expects it), streaming the new text to {@code onText}. */
    default Generation generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generate(promptIds(prompt), options, onText);
    }

    /** Continues {@code prompt} (BOS added where the model expects it); returns only the new text. */
    default String generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, null).text();
    }

    /** Prompt ids as generation starts from them: the tokenizer's special tokens, and BOS where the model wants it. */
    default int[] promptIds(String prompt) {
        return withBos(tokenizer().encode(prompt, true));
    }

    /** The template that turns chat messages into this model's prompt: its own, or ChatML when it carries none. */
    default ChatTemplate chatTemplate() {
        return ChatTemplate.chatMl("", "");
    }

    /** The prompt ids of a conversation, ending where the assistant's reply begins (as transformers' apply_chat_template). */
    default int[] chatIds(List<ChatMessage> messages) {
        return withBos(tokenizer().encode(chatTemplate().render(messages, true), false));
    }

    /** The assistant's reply to {@code messages}, streamed to {@code onText} as it is generated. */
    default Generation chat(List<ChatMessage> messages, GenerationOptions options, Consumer<String> onText) {
        return generate(chatIds(messages), options, onText);
    }

    private int[] withBos(int[] ids) {
        int bos = autoBos();
        if (bos < 0 || (ids.length > 0 && ids[0] == bos)) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** The BOS id this model's tokenizer puts at the start of every sequence, or -1 when it puts none. */
    default int autoBos() {
        return -1;
    }

    @Override
    void close();
}
