package org.slim4j.io.gguf;

import java.util.Map;

/** ggml types that exist but slim4j does not decode yet, so the error can name them instead of calling them unknown. */
final class GgmlTypeNames {
    private static final Map<Integer, String> NOT_YET = Map.ofEntries(
            Map.entry(16, "IQ2_XXS"), Map.entry(17, "IQ2_XS"), Map.entry(18, "IQ3_XXS"), Map.entry(19, "IQ1_S"),
            Map.entry(20, "IQ4_NL"), Map.entry(21, "IQ3_S"), Map.entry(22, "IQ2_S"), Map.entry(23, "IQ4_XS"),
            Map.entry(29, "IQ1_M"), Map.entry(34, "TQ1_0"), Map.entry(35, "TQ2_0"), Map.entry(39, "MXFP4"));

    private GgmlTypeNames() {}

    static String unsupported(int typeId) {
        String name = NOT_YET.get(typeId);
        return name != null
                ? "ggml type " + name + " (" + typeId + ") is not supported yet (IQ/TQ/MXFP4 types come later; re-quantize to a k-quant)"
                : "unknown ggml type " + Integer.toUnsignedString(typeId);
    }
}
