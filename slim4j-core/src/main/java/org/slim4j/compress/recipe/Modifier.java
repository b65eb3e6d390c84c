package org.slim4j.compress.recipe;

import java.util.List;
import java.util.regex.Pattern;
import org.slim4j.compress.Compressor;

/**
 * One method applied to the tensors it targets. Targets and ignores are regexes matched against the whole tensor
 * name, or the words {@code Linear} (every linear layer of the blocks) and {@code Embedding} (the tensors outside
 * them: token/position embeddings, an untied output matrix), as llm-compressor's targets name module types.
 */
public record Modifier(Compressor compressor, List<String> targets, List<String> ignore) {
    public static final String LINEAR = "Linear";
    public static final String EMBEDDING = "Embedding";

    public boolean applies(String name, boolean linear) {
        return matchesAny(targets, name, linear) && !matchesAny(ignore, name, linear);
    }

    private static boolean matchesAny(List<String> patterns, String name, boolean linear) {
        for (String p : patterns) {
            if (p.equals(LINEAR)) {
                if (linear) return true;
            } else if (p.equals(EMBEDDING)) {
                if (!linear) return true;
            } else if (Pattern.compile(p).matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }
}
