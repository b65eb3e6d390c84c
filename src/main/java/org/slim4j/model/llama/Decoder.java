package org.slim4j.model.llama;

import org.slim4j.model.CausalLM;

/** A Llama-family model that can open generation sessions: the exact {@link LlamaModel} or the fast {@link FastLlama}. */
public interface Decoder extends CausalLM {
    LlamaConfig config();

    DecoderSession newSession(int capacity);
}
