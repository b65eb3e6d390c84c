package org.slim4j.compress.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.lowrank.Asvd;
import org.slim4j.compress.lowrank.Factorization;
import org.slim4j.compress.lowrank.GlobalRanks;
import org.slim4j.compress.lowrank.LowRankCorrected;
import org.slim4j.compress.lowrank.RankRule;
import org.slim4j.compress.lowrank.SparsePlusLowRank;
import org.slim4j.compress.lowrank.Svd;
import org.slim4j.compress.lowrank.SvdLlm;
import org.slim4j.compress.prune.Magnitude;
import org.slim4j.compress.prune.SparseGpt;
import org.slim4j.compress.prune.SparsityPattern;
import org.slim4j.compress.prune.Wanda;
import org.slim4j.compress.quant.Awq;
import org.slim4j.compress.quant.Gptq;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.compress.quant.SqueezeLlm;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.util.BadInputException;

/**
 * The one table of compression methods a recipe (or a {@code --scheme} shortcut) can name: each entry says whether
 * it takes a quantization scheme, which options it accepts (llm-compressor's names where it has them) and how it
 * is made. Anything else, an unknown method or an unknown option, is a one-line error naming the file and field.
 * <pre>
 * rtn | rtn-mse            scheme; {mse_clip}
 * gptq                     scheme; {dampening, block_size, act_order, static_groups, mse_clip}
 * awq                      scheme; {clip_search}
 * squeezellm               scheme (its bits: the table has 2^bits entries per row); {outliers: 0.005}
 * magnitude | wanda        {sparsity: 0.5} or {mask_structure: "2:4"}; magnitude also {per_row}
 * sparsegpt                the same and {dampening}; with a scheme it quantizes in the same pass
 * svd | asvd | svd-llm     {ratio: 0.5} (factor over dense parameters) or {rank}; {allocation: uniform | global}
 *                          (global: one budget over every targeted layer, ranks by RankBudget); asvd also {alpha}
 * svd-sparse | svd-llm-sparse   {ratio, density: 0.05, iterations: 5}
 * lqlora | eora            scheme of the quantizer they correct; {rank: 16, base: rtn | gptq}
 * </pre>
 */
public final class Methods {
    private enum SchemeUse { REQUIRED, OPTIONAL, NONE }

    private interface Factory {
        Compressor make(QuantScheme scheme, Options o);
    }

    private record Entry(SchemeUse scheme, Set<String> options, Factory factory) {}

    private static final Set<String> SPARSITY = Set.of("sparsity", "mask_structure");
    private static final Set<String> RANK = Set.of("ratio", "rank", "allocation");

    private static final Map<String, Entry> TABLE = new LinkedHashMap<>();

    static {
        add("rtn", SchemeUse.REQUIRED, Set.of("mse_clip"), (s, o) -> new Rtn(s, o.bool("mse_clip", false)));
        add("rtn-mse", SchemeUse.REQUIRED, Set.of(), (s, o) -> new Rtn(s, true));
        add("gptq", SchemeUse.REQUIRED, Set.of("dampening", "block_size", "act_order", "static_groups", "mse_clip"),
                (s, o) -> new Gptq(s, o.number("dampening", 0.01), o.integer("block_size", 128), o.bool("act_order", true),
                        o.bool("static_groups", true), o.bool("mse_clip", true)));
        add("awq", SchemeUse.REQUIRED, Set.of("clip_search"), (s, o) -> new Awq(s, o.bool("clip_search", true)));
        add("squeezellm", SchemeUse.REQUIRED, Set.of("outliers"), (s, o) -> new SqueezeLlm(s.bits(), o.number("outliers", 0.005)));
        add("magnitude", SchemeUse.NONE, union(SPARSITY, Set.of("per_row")), (s, o) -> new Magnitude(pattern(o), o.bool("per_row", false)));
        add("wanda", SchemeUse.NONE, SPARSITY, (s, o) -> new Wanda(pattern(o)));
        add("sparsegpt", SchemeUse.OPTIONAL, union(SPARSITY, Set.of("dampening")), (s, o) -> new SparseGpt(pattern(o), o.number("dampening", 0.01), s));
        add("svd", SchemeUse.NONE, RANK, (s, o) -> lowRank(new Svd(rank(o)), o));
        add("asvd", SchemeUse.NONE, union(RANK, Set.of("alpha")), (s, o) -> lowRank(new Asvd(rank(o), o.number("alpha", Asvd.ALPHA)), o));
        add("svd-llm", SchemeUse.NONE, RANK, (s, o) -> lowRank(new SvdLlm(rank(o)), o));
        Set<String> sparseRank = Set.of("ratio", "rank", "density", "iterations");
        add("svd-sparse", SchemeUse.NONE, sparseRank, (s, o) -> new SparsePlusLowRank(rank(o), o.number("density", 0.05), o.integer("iterations", 5), false));
        add("svd-llm-sparse", SchemeUse.NONE, sparseRank, (s, o) -> new SparsePlusLowRank(rank(o), o.number("density", 0.05), o.integer("iterations", 5), true));
        for (String m : List.of("lqlora", "eora")) {
            add(m, SchemeUse.REQUIRED, Set.of("rank", "base"), (s, o) -> {
                String base = o.text("base", "rtn", Set.of("rtn", "gptq"));
                int r = o.integer("rank", 16);
                return new LowRankCorrected(base.equals("gptq") ? new Gptq(s) : new Rtn(s, false), w -> Math.min(r, Math.min(w.rows(), w.cols())), m.equals("eora"));
            });
        }
    }

    private Methods() {}

    private static void add(String name, SchemeUse scheme, Set<String> options, Factory f) {
        TABLE.put(name, new Entry(scheme, options, f));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> r = new TreeSet<>(a);
        r.addAll(b);
        return r;
    }

    /** Every method name a recipe accepts, in the table's order. */
    public static Set<String> names() {
        return TABLE.keySet();
    }

    /**
     * The method {@code method} with {@code scheme} (null when the recipe gave none) and {@code options} (null or a
     * mapping); {@code where} is the modifier's place in {@code source}, e.g. "stages[0].modifiers[1]".
     */
    public static Compressor create(String method, QuantScheme scheme, JsonNode options, String source, String where) {
        Entry e = TABLE.get(method);
        if (e == null) throw new BadInputException(source, where + ".method", "unknown method '" + method + "' (" + String.join(", ", TABLE.keySet()) + ")");
        if (e.scheme == SchemeUse.REQUIRED && scheme == null) {
            throw new BadInputException(source, where + ".scheme", method + " needs a scheme {bits, group_size, symmetric}");
        }
        if (e.scheme == SchemeUse.NONE && scheme != null) {
            throw new BadInputException(source, where + ".scheme", method + " takes no scheme (it does not quantize)");
        }
        Options o = new Options(options, source, where + ".options");
        o.only(e.options);
        try {
            return e.factory.make(scheme, o);
        } catch (IllegalArgumentException ex) {
            throw new BadInputException(source, where + ".options", ex.getMessage());
        }
    }

    private static SparsityPattern pattern(Options o) {
        if (o.has("mask_structure")) {
            if (o.has("sparsity")) throw new IllegalArgumentException("give sparsity or mask_structure, not both");
            JsonNode v = o.get("mask_structure");
            if (!v.isTextual()) {
                throw new BadInputException(o.source(), o.where() + ".mask_structure", "must be a quoted N:M such as \"2:4\" (YAML reads 2:4 unquoted as a number), got " + v);
            }
            String nm = v.asText();
            String[] p = nm.split(":");
            try {
                if (p.length != 2) throw new NumberFormatException();
                return SparsityPattern.nm(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("mask_structure '" + nm + "' is not N:M, e.g. 2:4");
            }
        }
        return SparsityPattern.unstructured(o.number("sparsity", 0.5));
    }

    private static RankRule rank(Options o) {
        if (o.has("rank")) {
            if (o.has("ratio")) throw new IllegalArgumentException("give ratio or rank, not both");
            int r = o.integer("rank", 0);
            if (r < 1) throw new IllegalArgumentException("rank must be >= 1, got " + r);
            return w -> Math.min(r, Math.min(w.rows(), w.cols()));
        }
        double ratio = o.number("ratio", 0.5);
        if (!(ratio > 0 && ratio < 1)) throw new IllegalArgumentException("ratio must be in (0, 1), got " + ratio);
        return RankRule.ratio(ratio);
    }

    /** A factorisation at a uniform ratio or rank, or with its ranks allocated from one global budget. */
    private static Compressor lowRank(Factorization f, Options o) {
        if (o.text("allocation", "uniform", Set.of("uniform", "global")).equals("uniform")) return f;
        if (o.has("rank")) throw new IllegalArgumentException("allocation: global takes a ratio (the budget), not a rank");
        return new GlobalRanks(f, o.number("ratio", 0.5));
    }

    /** A modifier's options mapping, read with the field of every value named in errors. */
    private record Options(JsonNode node, String source, String where) {
        void only(Set<String> allowed) {
            if (node == null || node.isNull() || node.isMissingNode()) return;
            if (!node.isObject()) throw new BadInputException(source, where, "must be a mapping");
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    throw new BadInputException(source, where + "." + f, "unknown option" + (allowed.isEmpty() ? " (this method takes none)" : " (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")"));
                }
            }
        }

        boolean has(String key) {
            return node != null && node.isObject() && node.has(key) && !node.get(key).isNull();
        }

        JsonNode get(String key) {
            return has(key) ? node.get(key) : null;
        }

        boolean bool(String key, boolean dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isBoolean()) throw new BadInputException(source, where + "." + key, "must be true or false, got " + v);
            return v.booleanValue();
        }

        double number(String key, double dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) throw new BadInputException(source, where + "." + key, "must be a number, got " + v);
            return v.doubleValue();
        }

        int integer(String key, int dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new BadInputException(source, where + "." + key, "must be an integer, got " + v);
            return v.intValue();
        }

        /** A string option, one of {@code allowed} when given (null: any). */
        String text(String key, String dflt, Set<String> allowed) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isTextual()) throw new BadInputException(source, where + "." + key, "must be a string, got " + v);
            if (allowed != null && !allowed.contains(v.asText())) {
                throw new BadInputException(source, where + "." + key, "'" + v.asText() + "' is not one of " + String.join(", ", new TreeSet<>(allowed)));
            }
            return v.asText();
        }
    }
}
