package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slim4j.tensor.quant.QuantScheme;

/**
 * config.json's quantization_config as compressed-tensors writes it (QuantizationConfig / QuantizationScheme /
 * QuantizationArgs): config_groups each with targets and weight args, ignore, format, quant_method, version.
 * Targets are matched as compressed-tensors does for the cases that occur in checkpoints: an exact module name,
 * a "re:" regular expression over the module name, or the class name "Linear" (every packed weight is a Linear).
 */
public final class CompressedTensorsConfig {
    public static final String QUANT_METHOD = "compressed-tensors";
    public static final String PACK_QUANTIZED = "pack-quantized";
    public static final String SPARSITY_CONFIG = "sparsity_config";

    private final List<Group> groups;
    private final List<String> ignore;
    private final JsonNode slim4j;
    private final String sparsityFormat;

    private record Group(List<String> targets, QuantScheme scheme) {}

    private CompressedTensorsConfig(List<Group> groups, List<String> ignore, JsonNode slim4j, String sparsityFormat) {
        this.groups = groups;
        this.ignore = ignore;
        this.slim4j = slim4j;
        this.sparsityFormat = sparsityFormat;
    }

    /**
     * The sparsity_config block (SparsityCompressionConfig.model_dump: format, targets, ignore, global_sparsity,
     * sparsity_structure). global_sparsity is a percentage of all model parameters, as llm-compressor reports it.
     */
    public static ObjectNode sparsityJson(String format, List<String> targets, double globalSparsityPercent, String structure) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("format", format);
        s.put("global_sparsity", globalSparsityPercent);
        s.putArray("ignore");
        s.put("sparsity_structure", structure);
        ArrayNode t = s.putArray("targets");
        targets.forEach(t::add);
        return s;
    }

    /** One config group per distinct scheme, targets listing its modules by name. */
    public static ObjectNode toJson(Map<String, QuantScheme> schemes, ObjectNode slim4j, String version) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode qc = f.objectNode();
        ObjectNode groups = qc.putObject("config_groups");
        Map<QuantScheme, List<String>> byScheme = new LinkedHashMap<>();
        schemes.forEach((m, s) -> byScheme.computeIfAbsent(s, k -> new ArrayList<>()).add(m));
        int i = 0;
        for (Map.Entry<QuantScheme, List<String>> e : byScheme.entrySet()) {
            ObjectNode g = groups.putObject("group_" + i++);
            ArrayNode targets = g.putArray("targets");
            e.getValue().forEach(targets::add);
            g.set("weights", weights(e.getKey()));
            g.putNull("input_activations");
            g.putNull("output_activations");
        }
        qc.put("format", PACK_QUANTIZED);
        qc.putNull("global_compression_ratio");
        ArrayNode ignore = qc.putArray("ignore");
        if (slim4j != null) slim4j.path("layers").fieldNames().forEachRemaining(ignore::add);
        qc.putNull("kv_cache_scheme");
        qc.put("quant_method", QUANT_METHOD);
        qc.put("quantization_status", "compressed");
        qc.put("version", version);
        if (slim4j != null) qc.set("slim4j", slim4j);
        return qc;
    }

    private static ObjectNode weights(QuantScheme s) {
        ObjectNode w = JsonNodeFactory.instance.objectNode();
        w.putNull("actorder");
        w.putNull("block_structure");
        w.put("dynamic", false);
        if (s.groupSize() > 0) w.put("group_size", s.groupSize()); else w.putNull("group_size");
        w.put("num_bits", s.bits());
        w.put("observer", "minmax");
        w.putObject("observer_kwargs");
        w.put("strategy", s.groupSize() > 0 ? "group" : s.groupSize() == QuantScheme.PER_CHANNEL ? "channel" : "tensor");
        w.put("symmetric", s.symmetric());
        w.put("type", "int");
        return w;
    }

    /** Reads quantization_config; rejects what slim4j cannot decode rather than guessing. */
    public static CompressedTensorsConfig parse(JsonNode qc, String source) {
        if (!QUANT_METHOD.equals(qc.path("quant_method").asText())) {
            throw new IllegalArgumentException(source + ": quant_method is '" + qc.path("quant_method").asText() + "', not " + QUANT_METHOD);
        }
        String format = qc.path("format").asText(PACK_QUANTIZED);
        if (!format.equals(PACK_QUANTIZED) && !format.equals("mixed-precision")) {
            throw new IllegalArgumentException(source + ": format '" + format + "' is not supported (only " + PACK_QUANTIZED + ")");
        }
        List<Group> groups = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : qc.path("config_groups").properties()) {
            JsonNode w = e.getValue().path("weights");
            if (w.isMissingNode() || w.isNull()) continue;
            if (!w.path("type").asText("int").equals("int")) {
                throw new IllegalArgumentException(source + ": group " + e.getKey() + " has weight type " + w.path("type").asText() + " (only int)");
            }
            String strategy = w.path("strategy").asText();
            int group = switch (strategy) {
                case "group" -> w.path("group_size").asInt();
                case "channel" -> QuantScheme.PER_CHANNEL;
                case "tensor" -> QuantScheme.PER_TENSOR;
                default -> throw new IllegalArgumentException(source + ": weight strategy '" + strategy + "' is not supported");
            };
            List<String> targets = new ArrayList<>();
            e.getValue().path("targets").forEach(t -> targets.add(checkedTarget(t.asText(), source, "config_groups." + e.getKey() + ".targets")));
            groups.add(new Group(targets, new QuantScheme(w.path("num_bits").asInt(), group, w.path("symmetric").asBoolean(true))));
        }
        List<String> ignore = new ArrayList<>();
        qc.path("ignore").forEach(t -> ignore.add(checkedTarget(t.asText(), source, "ignore")));
        JsonNode sc = qc.path(SPARSITY_CONFIG);
        String sparsity = sc.isObject() && sc.has("format") ? sc.get("format").asText() : null;
        if (sparsity != null && !sparsity.equals("dense") && !sparsity.equals("sparse-bitmask") && !sparsity.equals("sparse-24-bitmask")) {
            throw new IllegalArgumentException(source + ": sparsity format '" + sparsity + "' is not supported (sparse-bitmask, sparse-24-bitmask, dense)");
        }
        return new CompressedTensorsConfig(groups, ignore, qc.get("slim4j"), sparsity);
    }

    /** A target as given, once its "re:" regular expression, if it is one, is known to compile. */
    private static String checkedTarget(String target, String source, String field) {
        if (target.startsWith("re:")) {
            try {
                Pattern.compile(target.substring(3));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(source + ": " + field + ": bad regex '" + target + "': " + e.getDescription());
            }
        }
        return target;
    }

    /** The scheme of a packed Linear module, empty when ignored or matched by no group. */
    public Optional<QuantScheme> schemeOf(String module) {
        for (String i : ignore) if (matches(i, module)) return Optional.empty();
        for (Group g : groups) for (String t : g.targets) if (matches(t, module)) return Optional.of(g.scheme);
        return Optional.empty();
    }

    private static boolean matches(String target, String module) {
        if (target.startsWith("re:")) return Pattern.compile(target.substring(3)).matcher(module).lookingAt(); // re.match
        return target.equals(module) || target.equals("Linear");
    }

    /** sparsity_config.format ("sparse-bitmask", "sparse-24-bitmask", "dense"), or null when there is none. */
    public String sparsityFormat() {
        return sparsityFormat;
    }

    /** The slim4j extension block, or null. */
    public JsonNode slim4j() {
        return slim4j;
    }
}
