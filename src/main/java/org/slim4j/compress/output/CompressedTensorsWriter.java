package org.slim4j.compress.output;

import org.slim4j.io.compressed.SparseBitmask;
import org.slim4j.io.compressed.CompressedTensorsConfig;
import org.slim4j.io.compressed.PackInt32;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.StagedLinear;
import org.slim4j.compress.prune.SparseLinear;
import org.slim4j.compress.prune.SparseQuantizedLinear;
import org.slim4j.tensor.kernel.Sparse24Matrix;
import org.slim4j.tensor.quant.QuantScheme;
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
            Map<String, QuantScheme> schemes = new LinkedHashMap<>();
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
                // one sparsity format per model, as compressed-tensors has: 2:4 when every sparse layer is, else the general one
                boolean all24 = layers.values().stream().map(CompressedTensorsWriter::unstage).filter(c -> c instanceof SparseLinear)
                        .allMatch(c -> ((SparseLinear) c).is24() && Sparse24Matrix.fits(c.rows(), c.cols(), ((SparseLinear) c).keep()));
                List<String> sparseTargets = new ArrayList<>();
                long params = 0, zeros = 0;
                for (Tensor t : src.tensors()) {
                    params += t.elements();
                    CompressedLinear c = unstage(layers.get(t.name()));
                    if (c instanceof SparseQuantizedLinear sq && asPackQuantized(sq) != null) c = asPackQuantized(sq);
                    if (c == null) {
                        out.add(t);
                        bytes += t.data().byteSize();
                        continue;
                    }
                    String module = module(t.name());
                    if (c instanceof QuantizedLinear q) {
                        bytes += packQuantized(out, module, q, scaleType);
                        formats.put(module, CompressedTensorsConfig.PACK_QUANTIZED);
                        schemes.put(module, q.scheme());
                    } else if (c instanceof SparseLinear sp) {
                        bytes += SparseBitmask.write(out, module, sp.rows(), sp.cols(), sp.effectiveWeight(), sp.keep(), all24);
                        formats.put(module, all24 ? SparseBitmask.TWO_FOUR : SparseBitmask.UNSTRUCTURED);
                        sparseTargets.add(module);
                        for (float v : sp.effectiveWeight()) if (v == 0) zeros++;
                    } else {
                        bytes += ext.add(out, module, c, t.dtype());
                        formats.put(module, ext.format(module));
                    }
                }
                qc = CompressedTensorsConfig.toJson(schemes, ext.json(), CT_VERSION);
                if (!sparseTargets.isEmpty()) qc.set(CompressedTensorsConfig.SPARSITY_CONFIG, CompressedTensorsConfig.sparsityJson(
                        all24 ? SparseBitmask.TWO_FOUR : SparseBitmask.UNSTRUCTURED, sparseTargets, 100.0 * zeros / Math.max(1, params), all24 ? "2:4" : "unstructured"));
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

    /** A chain of stages is stored as its last stage, which holds the layer's final weight. */
    private static CompressedLinear unstage(CompressedLinear c) {
        return c instanceof StagedLinear s ? unstage(s.last()) : c;
    }

    /**
     * Pruned then quantized: compressed-tensors' sparsity compressor runs only on ".weight" tensors, so for
     * pack-quantized weights it stores the pruned entries as codes equal to the zero point (w = 0 exactly); its 2:4
     * alternative, marlin-24, is a GPU tile layout slim4j does not write. Null when a zero point lies outside the code range.
     */
    static QuantizedLinear asPackQuantized(SparseQuantizedLinear sq) {
        QuantizedLinear q = sq.quant();
        byte[] codes = q.codes().clone();
        int groups = q.groupsPerRow(), width = q.scheme().groupSize() == QuantScheme.PER_TENSOR ? q.cols() : q.scheme().groupWidth(q.cols());
        boolean[] keep = sq.sparse().keep();
        for (int r = 0; r < q.rows(); r++) {
            for (int c = 0; c < q.cols(); c++) {
                if (keep[r * q.cols() + c]) continue;
                int z = q.zeros()[q.scheme().groupSize() == QuantScheme.PER_TENSOR ? 0 : r * groups + c / width];
                if (z < q.scheme().qmin() || z > q.scheme().qmax()) return null;
                codes[r * q.cols() + c] = (byte) z;
            }
        }
        return new QuantizedLinear(q.rows(), q.cols(), q.scheme(), codes, q.scales(), q.zeros(), q.scaleBits(), q.method());
    }

    static String module(String weightName) {
        if (!weightName.endsWith(".weight")) throw new IllegalArgumentException("a linear weight's name ends in .weight: " + weightName);
        return weightName.substring(0, weightName.length() - ".weight".length());
    }

    /** weight_packed, weight_scale, weight_zero_point (asymmetric), weight_shape, as PackedQuantizationCompressor does. */
    static long packQuantized(SafetensorsWriter out, String module, QuantizedLinear q, DType scaleType) {
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
    public static void copyOthers(Path srcDir, Path outDir) throws IOException {
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
