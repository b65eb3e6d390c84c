package org.slim4j.tokenizer;

/** Text to token ids and back. Implementations agree with the Hugging Face tokenizers library. */
public interface Tokenizer {

    /** Token ids for {@code text}; {@code addSpecial} adds the model's BOS/CLS/SEP tokens where it has them. */
    int[] encode(String text, boolean addSpecial);

    String decode(int[] ids);

    int vocabSize();
}
