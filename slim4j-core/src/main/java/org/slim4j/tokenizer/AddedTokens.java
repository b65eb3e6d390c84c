package org.slim4j.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A GGUF vocabulary's added tokens, cut out of the text before the model sees it, as the Hugging Face library does
 * with the tokenizer.json's added_tokens that {@link GgufTokenizer} writes: CONTROL tokens (not normalized) are found
 * in the raw text, each piece between them is normalized, then USER_DEFINED tokens (normalized, so matched by their
 * own normalized text) are found in that. Matches are leftmost, then longest.
 */
final class AddedTokens {
    static final int CONTROL = 3, USER_DEFINED = 4;

    /** The pieces between added tokens go to the model. */
    interface Model {
        void encode(String text, IntList out);
    }

    private final UnaryOperator<String> normalize;
    /** Patterns by first character, longest first. */
    private final Map<Character, List<String>> raw = new HashMap<>(), normalized = new HashMap<>();
    /** A pattern's token id (a string listed twice keeps its first), as added_tokens gives it. */
    private final Map<String, Integer> rawIds = new HashMap<>(), normalizedIds = new HashMap<>();

    /** @param normalize the tokenizer's normalizer (identity where it has none) */
    AddedTokens(List<String> tokens, int[] types, UnaryOperator<String> normalize) {
        this.normalize = normalize;
        if (types == null) return;
        for (int i = 0; i < types.length; i++) {
            if (types[i] != CONTROL && types[i] != USER_DEFINED) continue;
            boolean control = types[i] == CONTROL;
            String t = control ? tokens.get(i) : normalize.apply(tokens.get(i));
            if (t.isEmpty() || (control ? rawIds : normalizedIds).putIfAbsent(t, i) != null) continue;
            (control ? raw : normalized).computeIfAbsent(t.charAt(0), c -> new ArrayList<>()).add(t);
        }
        for (List<String> l : raw.values()) l.sort((x, y) -> y.length() - x.length());
        for (List<String> l : normalized.values()) l.sort((x, y) -> y.length() - x.length());
    }

    /**
     * The ids of {@code text}: added tokens found, the normalizer applied to the rest, the model on what remains. The
     * GGUF's tokenizer.json has no post-processor, so nothing is added around them (no BOS/EOS), as with the library.
     */
    int[] encode(String text, Model model) {
        IntList out = new IntList();
        split(text, raw, rawIds, out, (seg, o) -> {
            String n = normalize.apply(seg);
            if (!n.isEmpty()) split(n, normalized, normalizedIds, o, model);
        });
        return out.toArray();
    }

    /** Cuts {@code text} at the patterns of {@code added}, the pieces between to {@code rest}. */
    private static void split(String text, Map<Character, List<String>> added, Map<String, Integer> ids, IntList out, Model rest) {
        int from = 0;
        if (!added.isEmpty()) {
            for (int i = 0; i < text.length(); i++) {
                List<String> cands = added.get(text.charAt(i));
                if (cands == null) continue;
                for (String t : cands) {
                    if (!text.startsWith(t, i)) continue;
                    if (i > from) rest.encode(text.substring(from, i), out);
                    out.add(ids.get(t));
                    from = i + t.length();
                    i = from - 1;
                    break;
                }
            }
        }
        if (from < text.length()) rest.encode(from == 0 ? text : text.substring(from), out);
    }
}
