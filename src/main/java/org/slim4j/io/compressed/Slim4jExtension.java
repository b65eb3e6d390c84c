package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;

/**
 * The layers compressed-tensors cannot express, recorded in quantization_config.slim4j (docs/FORMATS.md):
 * {"version": 1, "layers": {module: {"format": ..., "method": ...}}}. These modules are also listed in the
 * compressed-tensors ignore list. Formats: "dense" (any other compression, stored multiplied out as
 * module.weight in the source dtype, so any loader reads it).
 */
final class Slim4jExtension {
    static final int VERSION = 1;
    static final String DENSE = "dense";

    private final DType scaleType;
    private final ObjectNode layers = JsonNodeFactory.instance.objectNode();

    Slim4jExtension(DType scaleType) {
        this.scaleType = scaleType;
    }

    /** Writes the layer's tensors; returns their bytes. */
    long add(SafetensorsWriter out, String module, CompressedLinear c, DType sourceType) {
        ObjectNode e = layers.putObject(module);
        e.put("method", c.describe());
        DType t = sourceType == DType.F16 || sourceType == DType.BF16 ? sourceType : DType.F32;
        e.put("format", DENSE);
        out.add(module + ".weight", t, new long[] {c.rows(), c.cols()}, c.effectiveWeight());
        return t.bytesFor((long) c.rows() * c.cols());
    }

    String format(String module) {
        return layers.path(module).path("format").asText();
    }

    /** The block for quantization_config, or null when no layer needed it. */
    ObjectNode json() {
        if (layers.isEmpty()) return null;
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("version", VERSION);
        o.set("layers", layers);
        return o;
    }
}
