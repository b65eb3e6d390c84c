package org.slim4j.model.bert;

import java.util.Locale;

/**
 * How a checkpoint was trained to be used: pooling and the text prefixes its authors prescribe.
 * The ONNX file cannot tell these apart (all-MiniLM-L6-v2 and bge-small-en-v1.5 have identical graphs), so they come
 * from the model's name or an explicit choice.
 */
public record Conventions(String name, Pooling pooling, String queryPrefix, String passagePrefix) {

    public enum Pooling { MEAN, CLS }

    /** sentence-transformers/all-MiniLM-L6-v2: mean over tokens. */
    public static final Conventions ALL_MINILM = new Conventions("all-minilm", Pooling.MEAN, "", "");
    /** BAAI/bge-*-en-v1.5: the [CLS] hidden state (no prefix for symmetric tasks such as STS). */
    public static final Conventions BGE = new Conventions("bge", Pooling.CLS, "", "");
    /** intfloat/e5-*: mean pooling, and every text must carry "query: " or "passage: ". */
    public static final Conventions E5 = new Conventions("e5", Pooling.MEAN, "query: ", "passage: ");

    /** By a model name or path such as "BAAI/bge-small-en-v1.5" or "all-minilm-l6-v2.onnx"; mean pooling otherwise. */
    public static Conventions forModelName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("bge")) return BGE;
        if (n.matches("(?s).*(^|[^a-z0-9])e5([^a-z0-9].*|$)")) return E5;
        return ALL_MINILM;
    }
}
