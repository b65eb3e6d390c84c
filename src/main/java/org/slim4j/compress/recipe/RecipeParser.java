package org.slim4j.compress.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;

/**
 * Reads a recipe:
 * <pre>
 * stages:
 *   - name: quantize
 *     modifiers:
 *       - method: gptq                      # any name of the method table (Methods): rtn, gptq, awq, wanda, svd-llm, ...
 *         scheme: {bits: 4, group_size: 64, symmetric: false}   # group_size -1: per channel, 0: per tensor
 *         targets: [Linear]                 # regexes on tensor names, or Linear / Embedding
 *         ignore: ['.*output\.dense.*']
 *         options: {dampening: 0.01, act_order: true}
 * </pre>
 * Every error names the file and the field, on one line.
 */
public final class RecipeParser {
    private RecipeParser() {}

    public static Recipe read(Path file) {
        return parse(TextFiles.read(file, "recipe"), file.toString());
    }

    public static Recipe parse(String yaml, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new BadInputException(source, "yaml", "not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw new BadInputException(source, "stages", "the recipe must be a mapping with a 'stages' list");
        JsonNode stages = root.get("stages");
        if (stages == null || !stages.isArray() || stages.isEmpty()) throw new BadInputException(source, "stages", "missing or not a non-empty list");
        List<List<Modifier>> out = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            String where = "stages[" + i + "]";
            JsonNode mods = stages.get(i).get("modifiers");
            if (mods == null || !mods.isArray() || mods.isEmpty()) throw new BadInputException(source, where + ".modifiers", "missing or not a non-empty list");
            List<Modifier> list = new ArrayList<>();
            for (int j = 0; j < mods.size(); j++) list.add(modifier(mods.get(j), source, where + ".modifiers[" + j + "]"));
            out.add(List.copyOf(list));
        }
        return new Recipe(source, List.copyOf(out));
    }

    private static Modifier modifier(JsonNode m, String source, String where) {
        if (!m.isObject()) throw new BadInputException(source, where, "must be a mapping");
        JsonNode method = m.get("method");
        if (method == null || !method.isTextual()) throw new BadInputException(source, where + ".method", "missing or not a string");
        QuantScheme s = scheme(m.get("scheme"), source, where + ".scheme");
        List<String> targets = patterns(m.get("targets"), source, where + ".targets", List.of(Modifier.LINEAR));
        List<String> ignore = patterns(m.get("ignore"), source, where + ".ignore", List.of());
        return new Modifier(Methods.create(method.asText(), s, m.get("options"), source, where), targets, ignore);
    }

    /** Null when absent: pruners and factorizations take none ({@link Methods} says which need one). */
    private static QuantScheme scheme(JsonNode n, String source, String where) {
        if (n == null) return null;
        if (!n.isObject()) throw new BadInputException(source, where, "missing or not a mapping {bits, group_size, symmetric}");
        JsonNode bits = n.get("bits"), group = n.get("group_size"), sym = n.get("symmetric");
        if (bits == null || !bits.canConvertToInt() || !bits.isIntegralNumber()) throw new BadInputException(source, where + ".bits", "missing or not an integer");
        if (group != null && !group.isIntegralNumber()) throw new BadInputException(source, where + ".group_size", "not an integer");
        if (sym != null && !sym.isBoolean()) throw new BadInputException(source, where + ".symmetric", "must be true or false");
        try {
            return new QuantScheme(bits.asInt(), group == null ? QuantScheme.PER_CHANNEL : group.asInt(), sym == null || sym.asBoolean());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source, where + (e.getMessage().startsWith("bits") ? ".bits" : ".group_size"), e.getMessage());
        }
    }

    private static List<String> patterns(JsonNode n, String source, String where, List<String> dflt) {
        if (n == null || n.isNull()) return dflt;
        if (!n.isArray()) throw new BadInputException(source, where, "must be a list of regexes");
        List<String> r = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) throw new BadInputException(source, where + "[" + i + "]", "must be a string");
            String p = n.get(i).asText();
            try {
                Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                throw new BadInputException(source, where + "[" + i + "]", "bad regex '" + p + "': " + e.getDescription());
            }
            r.add(p);
        }
        return List.copyOf(r);
    }
}
