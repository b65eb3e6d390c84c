package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Set;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/** Decoding side of {@link Slim4jExtension}: which tensors belong to extension layers, and their dense weights. */
final class Slim4jLayers {
    private static final String CODES = ".weight_lut_codes";
    private static final String[] PARTS = {CODES, ".weight_lut", ".weight_outlier_index", ".weight_outlier_value", ".weight_shape"};

    private Slim4jLayers() {}

    /** True for the tensors of a "lut" layer (dense layers are plain weights and need nothing). */
    static boolean owns(JsonNode ext, String tensor) {
        return lutModule(ext, tensor) != null;
    }

    private static String lutModule(JsonNode ext, String tensor) {
        if (ext == null) return null;
        int dot = tensor.lastIndexOf('.');
        if (dot < 0 || java.util.Arrays.stream(PARTS).noneMatch(tensor::endsWith)) return null; // the bias stays a plain tensor
        String module = tensor.substring(0, dot);
        return Slim4jExtension.LUT.equals(ext.path("layers").path(module).path("format").asText()) ? module : null;
    }

    /** The layer's F32 weight when {@code tensor} is its codes tensor; its other parts are marked consumed. */
    static Optional<Tensor> decode(SafetensorsFile f, JsonNode ext, String tensor, Arena arena, Set<String> consumed) {
        String module = lutModule(ext, tensor);
        if (!tensor.endsWith(CODES)) return Optional.empty();
        int bits = ext.path("layers").path(module).path("bits").asInt();
        int[] shape = CompressedTensorsFile.ints(f, module + ".weight_shape");
        int rows = shape[0], cols = shape[1], k = 1 << bits, half = k / 2;
        int[] codes = PackInt32.unpackRows(CompressedTensorsFile.ints(f, tensor), rows, cols, bits);
        float[] lut = Dequant.toFloats(f.tensor(module + ".weight_lut"));
        if (lut.length != rows * k) throw new BadInputException(f.path(), module + ".weight_lut", lut.length + " values, expected " + rows + " x " + k);
        MemorySegment dst = arena.allocate(4L * rows * cols, 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dst.setAtIndex(Dequant.F32, (long) r * cols + c, lut[r * k + codes[r * cols + c] + half]);
        }
        if (f.find(module + ".weight_outlier_index").isPresent()) {
            int[] idx = CompressedTensorsFile.ints(f, module + ".weight_outlier_index");
            float[] val = Dequant.toFloats(f.tensor(module + ".weight_outlier_value"));
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] < 0 || idx[i] >= rows * cols) throw new BadInputException(f.path(), module + ".weight_outlier_index", "index " + idx[i] + " outside " + rows + " x " + cols);
                dst.setAtIndex(Dequant.F32, idx[i], val[i]);
            }
        }
        for (String p : PARTS) consumed.add(module + p);
        return Optional.of(new Tensor(module + ".weight", DType.F32, new long[] {rows, cols}, dst));
    }
}
