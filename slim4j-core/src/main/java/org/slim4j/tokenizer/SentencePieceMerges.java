package org.slim4j.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BPE merges for a SentencePiece vocabulary that stores only pieces and scores (GGUF "llama" vocabularies):
 * every split of a piece into two pieces of the vocabulary is a merge, ranked by the merged piece's score
 * (highest first) and then by the parts' ids — the rule transformers uses when converting SentencePiece models.
 */
final class SentencePieceMerges {
    private SentencePieceMerges() {}

    static List<String> derive(List<String> tokens, float[] scores, int[] types, int[] skipTypes) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) if (!skipped(types, i, skipTypes)) ids.putIfAbsent(tokens.get(i), i);
        record Merge(int left, int right, int merged) {}
        List<Merge> merges = new ArrayList<>();
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            String piece = e.getKey();
            for (int cut = 1; cut < piece.length(); cut++) {
                if (Character.isLowSurrogate(piece.charAt(cut))) continue;
                Integer l = ids.get(piece.substring(0, cut)), r = ids.get(piece.substring(cut));
                if (l != null && r != null) merges.add(new Merge(l, r, e.getValue()));
            }
        }
        merges.sort(Comparator.<Merge>comparingDouble(m -> -scores[m.merged])
                .thenComparingInt(Merge::merged).thenComparingInt(Merge::left).thenComparingInt(Merge::right));
        List<String> out = new ArrayList<>(merges.size());
        for (Merge m : merges) out.add(tokens.get(m.left) + " " + tokens.get(m.right));
        return out;
    }

    private static boolean skipped(int[] types, int i, int[] skip) {
        if (types == null) return false;
        for (int s : skip) if (types[i] == s) return true;
        return false;
    }
}
