package org.slim4j.model.llama;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Prompt in, tokens out: prefill once, then decode token by token until a limit or an end-of-sequence id. */
public final class Generator {
    private final Decoder model;

    public Generator(Decoder model) {
        this.model = model;
    }

    /** Up to {@code maxNew} new tokens (the EOS that stops generation is included), each also passed to {@code onToken}. */
    public int[] generate(int[] prompt, int maxNew, Sampler sampler, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt needs at least one token");
        int capacity = (int) Math.min(model.contextLength(), (long) prompt.length + maxNew); // -n near 2^31 must not wrap
        int limit = Math.min(maxNew, capacity - prompt.length + 1);
        DecoderSession s = model.newSession(capacity);
        int[] out = new int[Math.max(0, limit)];
        if (limit <= 0) return out;
        float[] logits = s.prefill(prompt);
        int count = 0;
        while (true) {
            int next = sampler.sample(logits);
            out[count++] = next;
            if (onToken != null) onToken.accept(next);
            if (count == limit || model.config().isEos(next)) break;
            logits = s.decode(next);
        }
        return Arrays.copyOf(out, count);
    }

    public int[] generate(int[] prompt, int maxNew, Sampler sampler) {
        return generate(prompt, maxNew, sampler, null);
    }
}
