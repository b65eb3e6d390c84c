package org.slim4j.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An encoder's embeddings judged twice: STS-B Spearman x100, and fidelity to reference embeddings of the same sentences. */
public record EmbeddingQuality(double spearman, Fidelity fidelity) {

    /** {@code embeddings[i]} and {@code reference[i]} embed {@code sentences.get(i)}, the distinct sentences of {@code dev}. */
    public static EmbeddingQuality of(StsB dev, List<String> sentences, float[][] reference, float[][] embeddings) {
        Map<String, float[]> by = new HashMap<>();
        for (int i = 0; i < embeddings.length; i++) by.put(sentences.get(i), embeddings[i]);
        return new EmbeddingQuality(Sts.spearman100(dev, by::get), Fidelity.of(reference, embeddings));
    }
}
