package org.slim4j.compress.prune;

import com.fasterxml.jackson.databind.JsonNode;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.lowrank.Asvd;
import org.slim4j.compress.lowrank.LowRankCorrected;
import org.slim4j.compress.lowrank.RankRule;
import org.slim4j.compress.lowrank.SparsePlusLowRank;
import org.slim4j.compress.lowrank.Svd;
import org.slim4j.compress.quant.Gptq;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.util.BadInputException;

/**
 * Recipe names of the pruning and low-rank methods, with llm-compressor's option names where it has them:
 * <pre>
 * magnitude | wanda | sparsegpt   options: {sparsity: 0.5} or {mask_structure: "2:4"}; sparsegpt also {dampening};
 *                                 sparsegpt with a scheme quantizes in the same pass (joint mode)
 * svd | asvd                      options: {ratio: 0.5} (factor parameters / dense) or {rank: 64}
 * svd-sparse | asvd-sparse        options: {ratio, density: 0.05, iterations: 5}
 * lqlora | eora                   scheme required (the quantizer's); options: {rank: 16, base: rtn | gptq}
 * </pre>
 * Returns null for names it does not know, so the quantization methods' table can fall through to it.
 */
public final class PruneMethods {
    private PruneMethods() {}

    public static Compressor create(String method, QuantScheme scheme, JsonNode o, String source, String where) {
        return switch (method) {
            case "magnitude" -> new Magnitude(pattern(o, source, where));
            case "wanda" -> new Wanda(pattern(o, source, where));
            case "sparsegpt" -> new SparseGpt(pattern(o, source, where), num(o, "dampening", 0.01), scheme);
            case "svd" -> new Svd(rank(o));
            case "asvd" -> new Asvd(rank(o));
            case "svd-sparse", "asvd-sparse" -> new SparsePlusLowRank(rank(o), num(o, "density", 0.05), (int) num(o, "iterations", 5), method.startsWith("a"));
            case "lqlora", "eora" -> {
                if (scheme == null) throw new BadInputException(source, where + ".scheme", method + " corrects a quantizer: give its scheme");
                Compressor base = text(o, "base", "rtn").equals("gptq") ? new Gptq(scheme) : new Rtn(scheme, false);
                yield new LowRankCorrected(base, w -> (int) num(o, "rank", 16), method.equals("eora"));
            }
            default -> null;
        };
    }

    static SparsityPattern pattern(JsonNode o, String source, String where) {
        String nm = text(o, "mask_structure", "0:0");
        try {
            if (!nm.equals("0:0")) {
                String[] p = nm.split(":");
                return SparsityPattern.nm(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
            }
            return SparsityPattern.unstructured(num(o, "sparsity", 0.5));
        } catch (RuntimeException e) {
            throw new BadInputException(source, where + ".options", "bad sparsity / mask_structure: " + e.getMessage());
        }
    }

    static RankRule rank(JsonNode o) {
        if (o != null && o.has("rank")) {
            int r = o.get("rank").asInt();
            return w -> Math.min(r, Math.min(w.rows(), w.cols()));
        }
        return RankRule.ratio(num(o, "ratio", 0.5));
    }

    static double num(JsonNode o, String key, double dflt) {
        return o == null || !o.has(key) ? dflt : o.get(key).asDouble();
    }

    static String text(JsonNode o, String key, String dflt) {
        return o == null || !o.has(key) ? dflt : o.get(key).asText();
    }
}
