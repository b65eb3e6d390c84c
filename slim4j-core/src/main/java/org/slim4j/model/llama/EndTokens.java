package org.slim4j.model.llama;

import java.util.stream.IntStream;
import org.slim4j.tokenizer.Tokenizer;

/**
 * The ids that end generation: the configuration's end-of-sequence ids, plus the end-of-turn tokens of the common chat
 * formats where the vocabulary has them as single tokens (llama.cpp treats the same texts as end of generation): a
 * base model's config names only {@code <|endoftext|>}, while its instruct template ends turns with {@code <|im_end|>}.
 */
final class EndTokens {
    static final String[] TEXTS = {"<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>"};

    private EndTokens() {}

    static int[] of(Decoder model) {
        IntStream.Builder ids = IntStream.builder();
        for (int id : model.config().eosIds()) ids.add(id);
        Tokenizer t = model.tokenizer();
        for (String s : TEXTS) {
            int[] enc = t.encode(s, false);
            if (enc.length == 1) ids.add(enc[0]);
        }
        return ids.build().distinct().toArray();
    }
}
