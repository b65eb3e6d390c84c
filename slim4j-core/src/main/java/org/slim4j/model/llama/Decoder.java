package org.slim4j.model.llama;

import java.util.function.Consumer;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Generation;
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
    default Generation generate(int[] promptIds, GenerationOptions o, Consumer<String> onText) {
        GenerationRun run = new GenerationRun(this, promptIds, o, onText);
        while (run.step()) {
            // each step decodes one token
        }
        return run.result();
    }
}
