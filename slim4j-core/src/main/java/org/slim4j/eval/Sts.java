package org.slim4j.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slim4j.model.Encoder;

/** Semantic textual similarity: cosine of the two sentences' embeddings, ranked against the gold scores. */
public final class Sts {
    private Sts() {}

    /** Embeds each distinct sentence once with {@code encoder}. */
    public static double spearman100(StsB data, Encoder encoder) {
        List<String> sentences = data.sentences();
        float[][] e = encoder.embed(sentences);
        Map<String, float[]> bySentence = new HashMap<>();
        for (int i = 0; i < e.length; i++) bySentence.put(sentences.get(i), e[i]);
        return spearman100(data, bySentence::get);
    }

    /** With embeddings from anywhere (another engine, a cache). */
    public static double spearman100(StsB data, Function<String, float[]> embedding) {
        double[] predicted = new double[data.pairs().size()];
        for (int i = 0; i < predicted.length; i++) {
            StsB.Pair p = data.pairs().get(i);
            predicted[i] = cosine(embedding.apply(p.sentence1()), embedding.apply(p.sentence2()));
        }
        return Spearman.times100(predicted, data.scores());
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("dimensions differ: " + a.length + " vs " + b.length);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }
}
