package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.io.TensorFile;
import org.slim4j.io.lossless.LosslessFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.NativeLinear;
import org.slim4j.tensor.kernel.NativeLinears;
import org.slim4j.tensor.kernel.Sparse24Matrix;
import org.slim4j.util.BadInputException;

/**
 * A compressed-tensors folder seen as the dense checkpoint it encodes: every packed linear appears as an F32
 * {@code module.weight} [out, in] holding (q - zero) * scale, decoded once at open into off-heap memory; every
 * other tensor is the mapped original. Dequantizing at load (rather than a packed Tensor dtype) is deliberate: group
 * size, bits and zero-point layout vary per file and per layer, while an F32 weight runs on the fast MatMulF32 path
 * that Linear.forward already has; integer kernels can later read the packed tensors, which {@link #packed()} keeps.
 * Costs 4 bytes per weight of memory at run time, as an F32 checkpoint would.
 */
public final class CompressedTensorsFile implements TensorFile {
    /** The most elements one decoded array holds (a Java array's limit). */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final SafetensorsFile packed;
    private final Arena arena;
    private final List<Tensor> tensors;
    private final CompressedTensorsConfig config;

    private final Map<Tensor, NativeLinear> kernels;
    private final Map<String, String> formats;

    private CompressedTensorsFile(SafetensorsFile packed, Arena arena, List<Tensor> tensors, CompressedTensorsConfig config,
                                  Map<Tensor, NativeLinear> kernels, Map<String, String> formats) {
        this.packed = packed;
        this.config = config;
        this.arena = arena;
        this.tensors = List.copyOf(tensors);
        this.kernels = kernels;
        this.formats = formats;
    }

    private static String module(String tensor) {
        return tensor.substring(0, tensor.lastIndexOf('.'));
    }

    /** The kernels registered with {@link NativeLinears} for layers stored 2:4 or as factor pairs, by dense weight. */
    public Map<Tensor, NativeLinear> kernels() {
        return kernels;
    }

    /** The pack-quantized scheme of a module, when the config gives it one. */
    public Optional<QuantScheme> scheme(String module) {
        return config.schemeOf(module);
    }

    /** How each compressed module is stored: pack-quantized, sparse-bitmask, sparse-24-bitmask, lut, lowrank. */
    public Map<String, String> formats() {
        return formats;
    }

    /** The quantization_config of a folder's config.json when it is a compressed-tensors one. */
    public static Optional<JsonNode> quantizationConfig(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return Optional.empty();
        try {
            JsonNode qc = new ObjectMapper().readTree(cfg.toFile()).get("quantization_config");
            return qc != null && CompressedTensorsConfig.QUANT_METHOD.equals(qc.path("quant_method").asText()) ? Optional.of(qc) : Optional.empty();
        } catch (IOException e) {
            throw new BadInputException(cfg, "config.json", "not valid JSON: " + e.getMessage());
        }
    }

    /**
     * The folder's tensors: decoded when config.json says compressed-tensors, else its safetensors (losslessly coded
     * ones decoded: {@link LosslessFile}).
     */
    public static TensorFile openFolder(Path dir) {
        return quantizationConfig(dir).<TensorFile>map(qc -> open(dir, qc)).orElseGet(() -> LosslessFile.decodeIfCoded(SafetensorsFile.open(dir)));
    }

    public static CompressedTensorsFile open(Path dir, JsonNode qc) {
        CompressedTensorsConfig config;
        try {
            config = CompressedTensorsConfig.parse(qc, dir.resolve("config.json").toString());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(dir.resolve("config.json"), "quantization_config", e.getMessage());
        }
        SafetensorsFile f = SafetensorsFile.open(dir);
        Arena arena = Arena.ofShared();
        try {
            Set<String> consumed = new HashSet<>();
            List<Tensor> out = new ArrayList<>();
            Map<Tensor, NativeLinear> kernels = new LinkedHashMap<>();
            Map<String, String> formats = new LinkedHashMap<>();
            String sparse = config.sparsityFormat();
            for (Tensor t : f.tensors()) {
                String n = t.name();
                if (n.endsWith(".weight_packed")) {
                    String module = n.substring(0, n.length() - ".weight_packed".length());
                    JsonNode entry = config.slim4j() == null ? null : config.slim4j().path("layers").get(module);
                    if (entry != null && Slim4jLayers.INPUT_SCALED.equals(entry.path("format").asText())) {
                        out.add(Slim4jLayers.inputScaled(f, module, unpack(f, module, Slim4jLayers.scheme(f, module, entry), arena, consumed), consumed));
                        formats.put(module, Slim4jLayers.INPUT_SCALED);
                    } else {
                        QuantScheme s = config.schemeOf(module).orElseThrow(() -> new BadInputException(f.path(), module + ".weight_packed",
                                "packed weight of a module no config group of quantization_config targets"));
                        Tensor w = unpack(f, module, s, arena, consumed);
                        out.add(w);
                        formats.put(module, CompressedTensorsConfig.PACK_QUANTIZED);
                        Sparse24Matrix k = prunedTwoFour(w);
                        if (k != null) kernels.put(w, k);
                    }
                } else if (sparse != null && n.endsWith(".bitmask") && f.find(module(n) + ".compressed").isPresent()) {
                    String module = module(n);
                    SparseBitmask.Decoded d = SparseBitmask.decode(f, module, sparse, arena);
                    out.add(d.weight());
                    int rows = (int) d.weight().rows(), cols = (int) d.weight().cols();
                    if (Sparse24Matrix.fits(rows, cols, d.mask())) kernels.put(d.weight(), Sparse24Matrix.of(rows, cols, d.w(), d.mask()));
                    for (String p : SparseBitmask.PARTS) consumed.add(module + p);
                    formats.put(module, sparse);
                } else if (Slim4jLayers.owns(config.slim4j(), n)) {
                    Slim4jLayers.decode(f, config.slim4j(), n, arena, consumed).ifPresent(d -> {
                        out.add(d.weight());
                        if (d.kernel() != null) kernels.put(d.weight(), d.kernel());
                        String module = module(d.weight().name());
                        formats.put(module, config.slim4j().path("layers").path(module).path("format").asText());
                    });
                } else {
                    out.add(t);
                }
            }
            out.removeIf(t -> consumed.contains(t.name()));
            kernels.forEach(NativeLinears::register);
            return new CompressedTensorsFile(f, arena, out, config, kernels, formats);
        } catch (RuntimeException e) {
            arena.close();
            f.close();
            throw e;
        }
    }

    /**
     * A packed linear's integer codes: q [rows, cols] in [-2^(bits-1), 2^(bits-1)), and per group g of row r
     * (g = group(r, c)) the scale and zero point, so the weight is (q - zero) * scale.
     */
    public record Codes(int rows, int cols, int bits, int[] q, float[] scales, int[] zeros, int groupsPerRow, int width, int[] gIdx) {
        public int group(int r, int c) {
            return groupsPerRow == 0 ? 0 : r * groupsPerRow + (gIdx != null ? gIdx[c] : c / width);
        }
    }

    /**
     * The codes of {@code module} (e.g. "encoder.layer.0.intermediate.dense") when the folder stores it as plain
     * pack-quantized (not an input-scaled layer, whose weight also divides by its input scale).
     */
    public Optional<Codes> codes(String module) {
        if (packed.find(module + ".weight_packed").isEmpty() || !CompressedTensorsConfig.PACK_QUANTIZED.equals(formats.get(module))) return Optional.empty();
        QuantScheme s = config.schemeOf(module).orElseThrow();
        return Optional.of(codes(packed, module, s, new HashSet<>()));
    }

    private static Codes codes(SafetensorsFile f, String module, QuantScheme s, Set<String> consumed) {
        int[] shape = matrixShape(f, module + ".weight_shape");
        int rows = shape[0], cols = shape[1], bits = s.bits();
        int[] q = packedCodes(f, module + ".weight_packed", rows, cols, bits);
        int groups;
        try {
            groups = s.groupSize() == QuantScheme.PER_TENSOR ? 1 : s.groupsPerRow(cols);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(f.path(), module + ".weight_shape", e.getMessage() + " (quantization_config's group_size)");
        }
        int expected = s.groupSize() == QuantScheme.PER_TENSOR ? 1 : Math.multiplyExact(rows, groups);
        float[] scales = Dequant.toFloats(floatTensor(f, module + ".weight_scale"));
        if (scales.length != expected) {
            throw new BadInputException(f.path(), module + ".weight_scale", scales.length + " scales, expected " + expected + " for " + s);
        }
        for (int i = 0; i < scales.length; i++) {
            if (!Float.isFinite(scales[i])) throw new BadInputException(f.path(), module + ".weight_scale", "scale [" + i + "] is " + scales[i]);
        }
        int[] zeros = new int[expected];
        if (!s.symmetric()) {
            Tensor zt = f.tensor(module + ".weight_zero_point");
            if (s.groupSize() == QuantScheme.PER_TENSOR) {
                float[] z = Dequant.toFloats(asFloat(zt));
                if (z.length != 1) throw new BadInputException(f.path(), zt.name(), z.length + " zero points, expected 1 for " + s);
                zeros[0] = (int) z[0];
            } else {
                int[] packed = ints(f, zt.name());
                if (packed.length != PackInt32.ceil(rows, PackInt32.perInt(bits)) * (long) groups) {
                    throw new BadInputException(f.path(), zt.name(), packed.length + " packed zero points, expected "
                            + PackInt32.ceil(rows, PackInt32.perInt(bits)) + " x " + groups + " for " + rows + " rows of " + groups + " groups");
                }
                zeros = PackInt32.unpackColumns(packed, rows, groups, bits);
            }
            consumed.add(zt.name());
        }
        // actorder checkpoints map each input column to its group explicitly
        int[] gIdx = f.find(module + ".weight_g_idx").map(t -> ints(f, t.name())).orElse(null);
        if (gIdx != null) {
            if (gIdx.length != cols) throw new BadInputException(f.path(), module + ".weight_g_idx", gIdx.length + " entries for " + cols + " columns");
            for (int c = 0; c < cols; c++) {
                if (gIdx[c] < 0 || gIdx[c] >= groups) throw new BadInputException(f.path(), module + ".weight_g_idx", "column " + c + " names group " + gIdx[c] + " of " + groups);
            }
        }
        for (String p : new String[] {".weight_packed", ".weight_scale", ".weight_shape", ".weight_g_idx"}) consumed.add(module + p);
        return new Codes(rows, cols, bits, q, scales, zeros, s.groupSize() == QuantScheme.PER_TENSOR ? 0 : groups, s.groupWidth(cols), gIdx);
    }

    /** A [rows, cols] shape tensor: two positive values whose product fits the int-indexed arrays the codes go in. */
    static int[] matrixShape(SafetensorsFile f, String name) {
        int[] shape = ints(f, name);
        if (shape.length != 2 || shape[0] <= 0 || shape[1] <= 0) {
            throw new BadInputException(f.path(), name, "expected [rows, cols] of positive values, got " + java.util.Arrays.toString(shape));
        }
        if ((long) shape[0] * shape[1] > MAX_ELEMENTS) {
            throw new BadInputException(f.path(), name, shape[0] + " x " + shape[1] + " is more than " + MAX_ELEMENTS + " weights in one matrix");
        }
        return shape;
    }

    /** The signed b-bit codes [rows, cols] of an I32 tensor packed along its rows, its shape checked first. */
    static int[] packedCodes(SafetensorsFile f, String name, int rows, int cols, int bits) {
        if (bits < 1 || bits > 8) throw new BadInputException(f.path(), name, bits + " bits: packed codes have 1 to 8");
        Tensor t = f.tensor(name);
        int packedCols = PackInt32.ceil(cols, PackInt32.perInt(bits));
        if (t.dtype() != DType.I32 || t.shape().length != 2 || t.shape()[0] != rows || t.shape()[1] != packedCols) {
            throw new BadInputException(f.path(), name, "expected I32 [" + rows + ", " + packedCols + "] for " + bits + "-bit weights of "
                    + rows + " x " + cols + ", got " + t);
        }
        return PackInt32.unpackRows(ints(f, name), rows, cols, bits);
    }

    /** A tensor of scales or table values: a float type. */
    static Tensor floatTensor(SafetensorsFile f, String name) {
        Tensor t = f.tensor(name);
        if (!t.dtype().isFloatLike()) throw new BadInputException(f.path(), name, "expected a float type, got " + t.dtype());
        return t;
    }

    private static Tensor unpack(SafetensorsFile f, String module, QuantScheme s, Arena arena, Set<String> consumed) {
        Codes k = codes(f, module, s, consumed);
        int rows = k.rows(), cols = k.cols();
        MemorySegment dst = arena.allocate(4L * rows * cols, 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int g = k.group(r, c);
                dst.setAtIndex(Dequant.F32, (long) r * cols + c, (k.q()[r * cols + c] - k.zeros()[g]) * k.scales()[g]);
            }
        }
        return new Tensor(module + ".weight", DType.F32, new long[] {rows, cols}, dst);
    }

    /**
     * A pruned-then-quantized layer (2:4 zeros stored as codes equal to the zero point, as compressed-tensors stores
     * them) runs on the 2:4 kernel; a dense layer never has two zeros in every group of four.
     */
    private static Sparse24Matrix prunedTwoFour(Tensor w) {
        int rows = (int) w.rows(), cols = (int) w.cols();
        float[] v = new float[rows * cols];
        MemorySegment.copy(w.data(), Dequant.F32, 0, v, 0, v.length);
        boolean[] keep = new boolean[v.length];
        for (int i = 0; i < v.length; i++) keep[i] = v[i] != 0;
        return Sparse24Matrix.fits(rows, cols, keep) ? Sparse24Matrix.of(rows, cols, v, keep) : null;
    }

    /** An I32 (or I64, as torch.tensor(shape) gives) tensor's values. */
    static int[] ints(SafetensorsFile f, String name) {
        Tensor t = f.tensor(name);
        if (t.dtype() != DType.I32 && t.dtype() != DType.I64) throw new BadInputException(f.path(), name, "expected I32 or I64, got " + t.dtype());
        if (t.elements() > MAX_ELEMENTS) throw new BadInputException(f.path(), name, t.elements() + " values are more than an int array holds");
        int[] v = new int[(int) t.elements()];
        for (int i = 0; i < v.length; i++) {
            long x = t.dtype() == DType.I32 ? t.data().getAtIndex(Dequant.I32, i) : t.data().getAtIndex(Dequant.I64, i);
            if (x != (int) x) throw new BadInputException(f.path(), name, "value [" + i + "] = " + x + " does not fit an int");
            v[i] = (int) x;
        }
        return v;
    }

    private static Tensor asFloat(Tensor t) {
        if (t.dtype() != DType.I8) return t;
        float[] v = new float[Math.toIntExact(t.elements())];
        for (int i = 0; i < v.length; i++) v[i] = t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
        return new Tensor(t.name(), DType.F32, t.shape(), MemorySegment.ofArray(v));
    }

    /** The packed file as stored (weight_packed, weight_scale, ...), for integer kernels and inspection. */
    public SafetensorsFile packed() {
        return packed;
    }

    @Override
    public Path path() {
        return packed.path();
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        kernels.keySet().forEach(NativeLinears::unregister);
        try {
            arena.close();
        } finally {
            packed.close();
        }
    }
}
