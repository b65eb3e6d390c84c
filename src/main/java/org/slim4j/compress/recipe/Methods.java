package org.slim4j.compress.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.quant.Awq;
import org.slim4j.compress.quant.Gptq;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.util.BadInputException;

/** Method names of recipes to compressors. New methods (pruners, factorizations) register here. */
public final class Methods {
    private static final Set<String> GPTQ_OPTIONS = Set.of("dampening", "block_size", "act_order", "static_groups", "mse_clip");
    private static final Set<String> AWQ_OPTIONS = Set.of("clip_search");
    private static final Set<String> RTN_OPTIONS = Set.of("mse_clip");

    private Methods() {}

    public static Compressor create(String method, QuantScheme s, JsonNode options, String source, String where) {
        Options o = new Options(options, source, where + ".options");
        Compressor pruneOrFactor = org.slim4j.compress.prune.PruneMethods.create(method, s, options, source, where);
        if (pruneOrFactor != null) return pruneOrFactor;
        if (s == null) throw new BadInputException(source, where + ".scheme", "missing or not a mapping {bits, group_size, symmetric}");
        return switch (method) {
            case "rtn" -> {
                o.only(RTN_OPTIONS);
                yield new Rtn(s, o.bool("mse_clip", false));
            }
            case "rtn-mse" -> {
                o.only(Set.of());
                yield new Rtn(s, true);
            }
            case "gptq" -> {
                o.only(GPTQ_OPTIONS);
                yield new Gptq(s, o.number("dampening", 0.01), (int) o.number("block_size", 128), o.bool("act_order", true),
                        o.bool("static_groups", true), o.bool("mse_clip", true));
            }
            case "awq" -> {
                o.only(AWQ_OPTIONS);
                yield new Awq(s, o.bool("clip_search", true));
            }
            default -> throw new BadInputException(source, where + ".method", "unknown method '" + method + "' (rtn, rtn-mse, gptq, awq, magnitude, wanda, sparsegpt, svd, asvd, svd-sparse, asvd-sparse, lqlora, eora)");
        };
    }

    private record Options(JsonNode node, String source, String where) {
        void only(Set<String> allowed) {
            if (node == null || node.isNull() || node.isMissingNode()) return;
            if (!node.isObject()) throw new BadInputException(source, where, "must be a mapping");
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) throw new BadInputException(source, where + "." + f, "unknown option (allowed: " + allowed + ")");
            }
        }

        boolean bool(String key, boolean dflt) {
            JsonNode v = node == null ? null : node.get(key);
            if (v == null || v.isNull()) return dflt;
            if (!v.isBoolean()) throw new BadInputException(source, where + "." + key, "must be true or false, got " + v);
            return v.booleanValue();
        }

        double number(String key, double dflt) {
            JsonNode v = node == null ? null : node.get(key);
            if (v == null || v.isNull()) return dflt;
            if (!v.isNumber()) throw new BadInputException(source, where + "." + key, "must be a number, got " + v);
            return v.doubleValue();
        }
    }
}
