package org.slim4j.tokenizer;

/** Text to token ids and back. Implementations agree with the Hugging Face tokenizers library. */
public interface Tokenizer {

    /** Token ids for {@code text}; {@code addSpecial} adds the model's BOS/CLS/SEP tokens where it has them. */
    int[] encode(String text, boolean addSpecial);

    String decode(int[] ids);

    int vocabSize();

    /**
     * The tokenizer of a model that has none: any use is bad input naming the file that was looked for (a folder
     * without tokenizer.json, a GGUF without tokenizer.ggml.*), so a run on text says what is missing and where.
     */
    static Tokenizer missing(String file, String field) {
        return new Tokenizer() {
            @Override
            public int[] encode(String text, boolean addSpecial) {
                throw fail();
            }

            @Override
            public String decode(int[] ids) {
                throw fail();
            }

            @Override
            public int vocabSize() {
                throw fail();
            }

            private org.slim4j.util.BadInputException fail() {
                return new org.slim4j.util.BadInputException(file, field, "not found: the model has no tokenizer, and text needs one"
                        + " (add its base model's tokenizer.json, or work on token ids)");
            }
        };
    }
}
