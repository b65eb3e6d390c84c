package org.slim4j.model.llama;

import org.slim4j.model.CausalLM;
import org.slim4j.model.GenerationOptions;

/** A Llama-family model that can open generation sessions: the exact {@link LlamaModel} or the fast {@link FastLlama}. */
public interface Decoder extends CausalLM {
    LlamaConfig config();

    DecoderSession newSession(int capacity);

    @Override
    default int vocabSize() {
        return config().vocab();
    }

    @Override
    default int contextLength() {
        return config().maxPositions();
    }

    @Override
    default String generate(String prompt, GenerationOptions o) {
        int[] out = new Generator(this).generate(promptIds(prompt), o.maxNewTokens(),
                Sampler.random(o.temperature(), o.topK(), o.topP(), o.seed()));
        return tokenizer().decode(out);
    }

    /** Prompt ids as generation starts from them: the tokenizer's special tokens, and BOS where the model wants it. */
    default int[] promptIds(String prompt) {
        int[] ids = tokenizer().encode(prompt, true);
        int bos = autoBos();
        if (bos < 0 || (ids.length > 0 && ids[0] == bos)) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }
}
