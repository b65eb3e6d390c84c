package org.slim4j.compress.output;

import org.slim4j.io.compressed.PackInt32;
import org.slim4j.io.compressed.Slim4jLayers;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.lowrank.LowRankLinear;
import org.slim4j.compress.quant.InputScaledLinear;
import org.slim4j.compress.quant.LutLinear;
import org.slim4j.compress.quant.QuantizedLinear;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;

/**
 * The layers compressed-tensors cannot express, recorded in quantization_config.slim4j (docs/FORMATS.md):
 * {"version": 1, "layers": {module: {"format": ..., "method": ...}}}. These modules are also listed in the
 * compressed-tensors ignore list. Formats: "lut" ({@link LutLinear}: packed table indices, per-row tables, sparse
 * fp16 outliers), "lowrank" ({@link LowRankLinear}: the factor pair weight_a, weight_b), "input-scaled"
 * ({@link InputScaledLinear}: AWQ's pack-quantized W diag(s) and s) and "dense" (any other
 * compression, stored multiplied out as module.weight in the source dtype, so any loader reads it).
 */
final class Slim4jExtension {
    static final int VERSION = Slim4jLayers.VERSION;
    static final String DENSE = Slim4jLayers.DENSE;
    static final String LUT = Slim4jLayers.LUT;
    static final String LOWRANK = Slim4jLayers.LOWRANK;
    static final String INPUT_SCALED = Slim4jLayers.INPUT_SCALED;

    private final DType scaleType;
    private final ObjectNode layers = JsonNodeFactory.instance.objectNode();

    Slim4jExtension(DType scaleType) {
        this.scaleType = scaleType;
    }

    /** Writes the layer's tensors; returns their bytes. */
    long add(SafetensorsWriter out, String module, CompressedLinear c, DType sourceType) {
        ObjectNode e = layers.putObject(module);
        e.put("method", c.describe());
        if (c instanceof LutLinear l) return lut(out, module, l, e);
        if (c instanceof LowRankLinear l) return lowRank(out, module, l, e);
        if (c instanceof InputScaledLinear l) return inputScaled(out, module, l, e);
        DType t = sourceType == DType.F16 || sourceType == DType.BF16 ? sourceType : DType.F32;
        e.put("format", DENSE);
        out.add(module + ".weight", t, new long[] {c.rows(), c.cols()}, c.effectiveWeight());
        return t.bytesFor((long) c.rows() * c.cols());
    }

    /**
     * AWQ's scaled weight where no preceding op can absorb the scale: Q(W diag(s)) stored exactly as pack-quantized
     * (weight_packed, weight_scale, weight_zero_point, weight_shape), plus weight_input_scale s [in]; the weight is
     * (q - zero) * scale / s[col]. The scheme is in the entry, since no compressed-tensors config group may claim the
     * module (its tooling would load W diag(s) without the 1 / s).
     */
    private long inputScaled(SafetensorsWriter out, String module, InputScaledLinear l, ObjectNode e) {
        QuantizedLinear q = l.quantized();
        e.put("format", INPUT_SCALED);
        e.put("bits", q.scheme().bits()).put("group_size", q.scheme().groupSize()).put("symmetric", q.scheme().symmetric());
        long bytes = CompressedTensorsWriter.packQuantized(out, module, q, scaleType);
        out.add(module + ".weight_input_scale", scaleType, new long[] {l.cols()}, l.inputScale());
        return bytes + scaleType.bytesFor(l.cols());
    }

    /** The two factors as they are held (fp16: {@link LowRankLinear} rounds them), W = A B. */
    private static long lowRank(SafetensorsWriter out, String module, LowRankLinear l, ObjectNode e) {
        e.put("format", LOWRANK);
        e.put("rank", l.rank());
        out.add(module + ".weight_a", DType.F16, new long[] {l.rows(), l.rank()}, l.a());
        out.add(module + ".weight_b", DType.F16, new long[] {l.rank(), l.cols()}, l.b());
        return DType.F16.bytesFor(l.parameters());
    }

    /** Codes packed as pack_to_int32 packs signed codes, i.e. the raw unsigned index, first in the lowest bits. */
    private long lut(SafetensorsWriter out, String module, LutLinear l, ObjectNode e) {
        e.put("format", LUT);
        e.put("bits", l.bits());
        e.put("outliers", l.outlierIndex().length);
        int rows = l.rows(), cols = l.cols(), bits = l.bits(), half = 1 << (bits - 1);
        int[] codes = new int[rows * cols];
        for (int i = 0; i < codes.length; i++) codes[i] = (l.codes()[i] & 0xff) - half;
        long bytes = CompressedTensorsWriter.ints(out, module + ".weight_lut_codes",
                new long[] {rows, PackInt32.ceil(cols, PackInt32.perInt(bits))}, PackInt32.packRows(codes, rows, cols, bits));
        out.add(module + ".weight_lut", scaleType, new long[] {rows, l.levels()}, l.lut());
        bytes += scaleType.bytesFor(l.lut().length);
        if (l.outlierIndex().length > 0) {
            bytes += CompressedTensorsWriter.ints(out, module + ".weight_outlier_index", new long[] {l.outlierIndex().length}, l.outlierIndex());
            out.add(module + ".weight_outlier_value", scaleType, new long[] {l.outlierValue().length}, l.outlierValue());
            bytes += scaleType.bytesFor(l.outlierValue().length);
        }
        bytes += CompressedTensorsWriter.ints(out, module + ".weight_shape", new long[] {2}, new int[] {rows, cols});
        return bytes;
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
