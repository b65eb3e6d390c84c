package org.slim4j.io.gguf;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slim4j.tensor.DType;
import org.slim4j.util.BadInputException;

/**
 * One {@code --tensor-type REGEX=TYPE} of llama-quantize: tensors whose name the regular expression finds (anywhere in
 * the name, as std::regex_search) get the type, and llama.cpp's mix is not applied to them; the first rule that
 * matches wins.
 */
public record TensorTypeRule(Pattern pattern, DType type) {
    /** Parses "attn_v=q6_k" or "blk\.[0-3]\.ffn_down=Q5_K"; an unknown type or a bad pattern is a one-line error naming the flag. */
    public static TensorTypeRule parse(String spec) {
        int eq = spec.lastIndexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) throw new BadInputException("--tensor-type", null, "'" + spec + "' is not REGEX=TYPE");
        String typeName = spec.substring(eq + 1).trim();
        DType type = typeByName(typeName);
        if (type == null) {
            throw new BadInputException("--tensor-type", null, "unknown type '" + typeName + "' in '" + spec + "' (q8_0, q6_k, q5_k, q4_k, q3_k, q2_k, iq4_xs, iq4_nl, q4_0, f16, ...)");
        }
        try {
            return new TensorTypeRule(Pattern.compile(spec.substring(0, eq)), type);
        } catch (PatternSyntaxException e) {
            throw new BadInputException("--tensor-type", null, "'" + spec.substring(0, eq) + "' is not a regular expression: " + e.getDescription());
        }
    }

    /** A ggml type slim4j can write, by ggml's name (case-insensitive), or null. */
    public static DType typeByName(String name) {
        try {
            DType t = DType.valueOf(name.toUpperCase(Locale.ROOT));
            boolean writable = t == DType.F32 || t == DType.F16 || t == DType.BF16
                    || t.isQuantized() && org.slim4j.tensor.quant.BlockCodecs.canEncode(t) && t != DType.Q8_K;
            return writable ? t : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public boolean matches(String tensor) {
        return pattern.matcher(tensor).find();
    }

    @Override
    public String toString() {
        return pattern.pattern() + "=" + type.name().toLowerCase(Locale.ROOT);
    }
}
