package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.quant.QuantScheme;
import org.slim4j.compress.quant.QuantizedLinear;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.AtomicFiles;

/**
 * Writes a Hugging Face folder in the compressed-tensors layout (docs/FORMATS.md): the source folder's safetensors
 * with each compressed linear replaced, config.json with a quantization_config, every other file (tokenizer,
 * pooling config) copied. {@link QuantizedLinear}s become pack-quantized; forms compressed-tensors cannot express
 * go into the slim4j extension ({@link Slim4jExtension}). Each file is written atomically.
 */
public final class CompressedTensorsWriter {
    /** The compressed-tensors release whose pack-quantized layout (zero points packed along dim 0) this follows. */
    public static final String CT_VERSION = "0.10.2";

    private final DType scaleType;

    /** @param scaleType F16 (what most checkpoints use), BF16 or F32 for weight_scale and LUTs */
    public CompressedTensorsWriter(DType scaleType) {
        if (scaleType != DType.F16 && scaleType != DType.BF16 && scaleType != DType.F32) {
            throw new IllegalArgumentException("scales are stored as F16, BF16 or F32, not " + scaleType);
        }
        this.scaleType = scaleType;
    }

    /** What was written: the safetensors file, its tensor bytes, and how each layer was stored. */
    public record Result(Path safetensors, long tensorBytes, Map<String, String> formats) {}

    /**
     * @param layers compressed linears keyed by the source tensor name of their weight ("...query.weight");
     *               every other tensor is copied unchanged
     */
    public Result write(Path srcDir, Map<String, CompressedLinear> layers, Path outDir) {
        try {
            Files.createDirectories(outDir);
            Map<String, String> formats = new LinkedHashMap<>();
            ObjectNode qc;
            long bytes = 0;
            SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
            try (SafetensorsFile src = SafetensorsFile.open(srcDir)) {
                for (String name : layers.keySet()) {
                    Tensor t = src.tensor(name);
                    CompressedLinear c = layers.get(name);
                    if (t.shape().length != 2 || t.shape()[0] != c.rows() || t.shape()[1] != c.cols()) {
                        throw new IllegalArgumentException(name + " is " + t.shapeString() + " in " + srcDir + " but the compressed layer is " + c.rows() + " x " + c.cols());
                    }
                }
                Slim4jExtension ext = new Slim4jExtension(scaleType);
                for (Tensor t : src.tensors()) {
                    CompressedLinear c = layers.get(t.name());
                    if (c == null) {
                        out.add(t);
                        bytes += t.data().byteSize();
                        continue;
                    }
                    String module = module(t.name());
                    if (c instanceof QuantizedLinear q) {
                        bytes += packQuantized(out, module, q);
                        formats.put(module, CompressedTensorsConfig.PACK_QUANTIZED);
                    } else {
                        bytes += ext.add(out, module, c, t.dtype());
                        formats.put(module, ext.format(module));
                    }
                }
                Map<String, QuantScheme> schemes = new LinkedHashMap<>();
                layers.forEach((n, c) -> {
                    if (c instanceof QuantizedLinear q) schemes.put(module(n), q.scheme());
                });
                qc = CompressedTensorsConfig.toJson(schemes, ext.json(), CT_VERSION);
                out.write(outDir.resolve("model.safetensors"));
                copyOthers(srcDir, outDir);
            }
            ObjectMapper om = new ObjectMapper();
            ObjectNode config = (ObjectNode) om.readTree(srcDir.resolve("config.json").toFile());
            config.set("quantization_config", qc);
            byte[] json = om.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
            AtomicFiles.write(outDir.resolve("config.json"), tmp -> Files.write(tmp, json));
            return new Result(outDir.resolve("model.safetensors"), bytes, formats);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + outDir, e);
        }
    }

    static String module(String weightName) {
        if (!weightName.endsWith(".weight")) throw new IllegalArgumentException("a linear weight's name ends in .weight: " + weightName);
        return weightName.substring(0, weightName.length() - ".weight".length());
    }

    /** weight_packed, weight_scale, weight_zero_point (asymmetric), weight_shape, as PackedQuantizationCompressor does. */
    private long packQuantized(SafetensorsWriter out, String module, QuantizedLinear q) {
        int rows = q.rows(), cols = q.cols(), bits = q.scheme().bits();
        int[] codes = new int[rows * cols];
        for (int i = 0; i < codes.length; i++) codes[i] = q.codes()[i];
        int[] packed = PackInt32.packRows(codes, rows, cols, bits);
        long bytes = 0;
        bytes += ints(out, module + ".weight_packed", new long[] {rows, PackInt32.ceil(cols, PackInt32.perInt(bits))}, packed);
        int groups = q.groupsPerRow();
        boolean perTensor = q.scheme().groupSize() == QuantScheme.PER_TENSOR;
        long[] scaleShape = perTensor ? new long[] {1} : new long[] {rows, groups};
        out.add(module + ".weight_scale", scaleType, scaleShape, q.scales());
        bytes += scaleType.bytesFor(q.scales().length);
        if (!q.scheme().symmetric()) {
            if (perTensor) {
                // compressed-tensors packs only group/channel zero points; a per-tensor one stays an int8 [1]
                out.add(module + ".weight_zero_point", DType.I8, new long[] {1}, MemorySegment.ofArray(new byte[] {(byte) q.zeros()[0]}));
                bytes += 1;
            } else {
                int[] zp = PackInt32.packColumns(q.zeros(), rows, groups, bits);
                bytes += ints(out, module + ".weight_zero_point", new long[] {PackInt32.ceil(rows, PackInt32.perInt(bits)), groups}, zp);
            }
        }
        bytes += ints(out, module + ".weight_shape", new long[] {2}, new int[] {rows, cols});
        return bytes;
    }

    static long ints(SafetensorsWriter out, String name, long[] shape, int[] values) {
        MemorySegment s = MemorySegment.ofArray(new byte[values.length * 4]);
        MemorySegment.copy(values, 0, s, Dequant.I32, 0, values.length);
        out.add(name, DType.I32, shape, s);
        return s.byteSize();
    }

    /** Tokenizer, pooling and other small files, so the folder loads on its own; old weights and config are not copied. */
    private static void copyOthers(Path srcDir, Path outDir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(srcDir, 2)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String n = f.getFileName().toString();
            Path rel = srcDir.relativize(f);
            if (rel.getNameCount() == 1 && (n.equals("config.json") || n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json"))) continue;
            if (n.endsWith(".safetensors") || n.endsWith(".bin") || n.endsWith(".onnx") || n.endsWith(".gguf")) continue;
            Path dst = outDir.resolve(rel.toString());
            Files.createDirectories(dst.getParent());
            byte[] data = Files.readAllBytes(f);
            AtomicFiles.write(dst, tmp -> Files.write(tmp, data));
        }
    }
}
