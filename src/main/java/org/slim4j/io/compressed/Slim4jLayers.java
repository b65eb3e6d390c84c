package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.FactorPair;
import org.slim4j.tensor.kernel.NativeLinear;
import org.slim4j.util.BadInputException;

/**
 * The slim4j extension of compressed-tensors (docs/FORMATS.md), reading side: which tensors belong to extension
 * layers, and their dense weights. The writer (compress.output.Slim4jExtension) uses the format names defined here.
 */
public final class Slim4jLayers {
    public static final int VERSION = 1;
    public static final String DENSE = "dense";
    public static final String LUT = "lut";
    public static final String LOWRANK = "lowrank";
    public static final String INPUT_SCALED = "input-scaled";
    private static final String CODES = ".weight_lut_codes";
    private static final String[] LUT_PARTS = {CODES, ".weight_lut", ".weight_outlier_index", ".weight_outlier_value", ".weight_shape"};
    private static final String[] LOWRANK_PARTS = {".weight_a", ".weight_b"};

    private Slim4jLayers() {}

    /** A decoded layer: its dense F32 weight, and the kernel that runs its stored form (null when none). */
    record Decoded(Tensor weight, NativeLinear kernel) {}

    /** True for the tensors of a "lut" or "lowrank" layer (dense layers are plain weights and need nothing). */
    static boolean owns(JsonNode ext, String tensor) {
        return module(ext, tensor) != null;
    }

    private static String module(JsonNode ext, String tensor) {
        if (ext == null) return null;
        int dot = tensor.lastIndexOf('.');
        if (dot < 0) return null;
        String module = tensor.substring(0, dot), format = ext.path("layers").path(module).path("format").asText();
        String[] parts = LUT.equals(format) ? LUT_PARTS : LOWRANK.equals(format) ? LOWRANK_PARTS : new String[0];
        return Arrays.stream(parts).anyMatch(tensor::endsWith) ? module : null; // the bias stays a plain tensor
    }

    /** The layer's F32 weight when {@code tensor} is its first part (codes, factor A); its other parts are marked consumed. */
    static Optional<Decoded> decode(SafetensorsFile f, JsonNode ext, String tensor, Arena arena, Set<String> consumed) {
        String module = module(ext, tensor);
        if (tensor.endsWith(CODES)) return Optional.of(new Decoded(lut(f, ext, module, tensor, arena, consumed), null));
        if (tensor.endsWith(".weight_a")) return Optional.of(lowRank(f, ext, module, arena, consumed));
        return Optional.empty();
    }

    /** The scheme of an "input-scaled" layer, from its extension entry. */
    static QuantScheme scheme(SafetensorsFile f, String module, JsonNode entry) {
        int bits = entry.path("bits").asInt(-1), group = entry.path("group_size").asInt(Integer.MIN_VALUE);
        if (bits < 2 || bits > 8 || group == Integer.MIN_VALUE || !entry.path("symmetric").isBoolean()) {
            throw new BadInputException(f.path(), "quantization_config.slim4j.layers." + module, "an input-scaled layer needs bits (2-8), group_size and symmetric");
        }
        try {
            return new QuantScheme(bits, group, entry.path("symmetric").booleanValue());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(f.path(), "quantization_config.slim4j.layers." + module, e.getMessage());
        }
    }

    /** Divides the unpacked Q(W diag(s)) by s per input column, in place: the layer's weight. */
    static Tensor inputScaled(SafetensorsFile f, String module, Tensor w, Set<String> consumed) {
        int rows = (int) w.rows(), cols = (int) w.cols();
        float[] s = Dequant.toFloats(CompressedTensorsFile.floatTensor(f, module + ".weight_input_scale"));
        if (s.length != cols) throw new BadInputException(f.path(), module + ".weight_input_scale", s.length + " values for " + cols + " input columns");
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                w.data().setAtIndex(Dequant.F32, i, w.data().getAtIndex(Dequant.F32, i) / s[c]);
            }
        }
        consumed.add(module + ".weight_input_scale");
        return w;
    }

    /** W = A B in float32, summed in {@link FactorPair#product}'s order (compression's too), so it equals what compression evaluated. */
    private static Decoded lowRank(SafetensorsFile f, JsonNode ext, String module, Arena arena, Set<String> consumed) {
        Tensor ta = f.tensor(module + ".weight_a"), tb = f.tensor(module + ".weight_b");
        int rank = ext.path("layers").path(module).path("rank").asInt(-1);
        if (ta.shape().length != 2 || ta.shape()[1] != rank || !ta.dtype().isFloatLike()) {
            throw new BadInputException(f.path(), module + ".weight_a", "expected a float [rows, " + rank + "] (rank from quantization_config.slim4j), got " + ta);
        }
        if (tb.shape().length != 2 || tb.shape()[0] != rank || !tb.dtype().isFloatLike()) {
            throw new BadInputException(f.path(), module + ".weight_b", "expected a float [" + rank + ", cols], got " + tb);
        }
        if (ta.shape()[0] * tb.shape()[1] > CompressedTensorsFile.MAX_ELEMENTS) {
            throw new BadInputException(f.path(), module + ".weight_a", ta.shape()[0] + " x " + tb.shape()[1] + " is more than "
                    + CompressedTensorsFile.MAX_ELEMENTS + " weights in one matrix");
        }
        int rows = (int) ta.shape()[0], cols = (int) tb.shape()[1];
        float[] a = Dequant.toFloats(ta), b = Dequant.toFloats(tb);
        float[] w = FactorPair.product(rows, cols, rank, a, b);
        MemorySegment dst = arena.allocate(4L * w.length, 64);
        MemorySegment.copy(w, 0, dst, Dequant.F32, 0, w.length);
        for (String p : LOWRANK_PARTS) consumed.add(module + p);
        return new Decoded(new Tensor(module + ".weight", DType.F32, new long[] {rows, cols}, dst), new FactorPair(rows, cols, rank, a, b));
    }

    private static Tensor lut(SafetensorsFile f, JsonNode ext, String module, String tensor, Arena arena, Set<String> consumed) {
        int bits = ext.path("layers").path(module).path("bits").asInt();
        int[] shape = CompressedTensorsFile.matrixShape(f, module + ".weight_shape");
        int[] codes = CompressedTensorsFile.packedCodes(f, tensor, shape[0], shape[1], bits);
        int rows = shape[0], cols = shape[1], k = 1 << bits, half = k / 2;
        float[] lut = Dequant.toFloats(CompressedTensorsFile.floatTensor(f, module + ".weight_lut"));
        if (lut.length != (long) rows * k) throw new BadInputException(f.path(), module + ".weight_lut", lut.length + " values, expected " + rows + " x " + k);
        MemorySegment dst = arena.allocate(4L * rows * cols, 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dst.setAtIndex(Dequant.F32, (long) r * cols + c, lut[r * k + codes[r * cols + c] + half]);
        }
        if (f.find(module + ".weight_outlier_index").isPresent()) {
            int[] idx = CompressedTensorsFile.ints(f, module + ".weight_outlier_index");
            float[] val = Dequant.toFloats(CompressedTensorsFile.floatTensor(f, module + ".weight_outlier_value"));
            if (val.length != idx.length) throw new BadInputException(f.path(), module + ".weight_outlier_value", val.length + " values for " + idx.length + " indices");
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] < 0 || idx[i] >= (long) rows * cols) throw new BadInputException(f.path(), module + ".weight_outlier_index", "index " + idx[i] + " outside " + rows + " x " + cols);
                dst.setAtIndex(Dequant.F32, idx[i], val[i]);
            }
        }
        for (String p : LUT_PARTS) consumed.add(module + p);
        return new Tensor(module + ".weight", DType.F32, new long[] {rows, cols}, dst);
    }
}
