package org.slim4j.io.gguf;

import java.util.Map;

/** ggml types that exist but slim4j does not decode yet, so the error can name them instead of calling them unknown. */
final class GgmlTypeNames {
    private static final Map<Integer, String> NOT_YET = Map.ofEntries(
            Map.entry(29, "IQ1_M"), Map.entry(34, "TQ1_0"), Map.entry(35, "TQ2_0"), Map.entry(39, "MXFP4"));

    private GgmlTypeNames() {}

    static String unsupported(int typeId) {
        String name = NOT_YET.get(typeId);
        return name != null
                ? "ggml type " + name + " (" + typeId + ") is not supported yet (IQ1_M/TQ/MXFP4 types come later; re-quantize to a k-quant or another i-quant)"
                : "unknown ggml type " + Integer.toUnsignedString(typeId);
    }
}
