package org.slim4j.compress.output;

import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.onnx.Opset13;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.QuantizedLinear;
import org.slim4j.io.onnx.proto.Onnx.AttributeProto;
import org.slim4j.io.onnx.proto.Onnx.GraphProto;
import org.slim4j.io.onnx.proto.Onnx.ModelProto;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.io.onnx.proto.Onnx.OperatorSetIdProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto.DataType;
import org.slim4j.model.bert.BertWeights;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slim4j.io.TensorFile;
import org.slim4j.io.compressed.CompressedTensorsFile;
import org.slim4j.model.Models;
import org.slim4j.tensor.Dequant;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;

/**
 * Rewrites an HF/Optimum ONNX export of a BERT encoder with quantized linear weights, the rest of the graph untouched:
 * 8-bit per-channel (or per-tensor) {@link QuantizedLinear}s as QDQ (an int8 [in, out] initializer, scales and zero
 * points per output column, DequantizeLinear axis 1, feeding the original MatMul), 4-bit grouped ones as
 * com.microsoft MatMulNBits (ONNX Runtime's contrib op: B uint8 [N, blocks, block/2], scales [N * blocks], packed
 * uint8 zero points when asymmetric). Layers are keyed by their HF weight name, as {@link BertWeights} maps them.
 */
public final class OnnxQuantExport {
    private static final String MS_DOMAIN = "com.microsoft";

    private OnnxQuantExport() {}

    /** Per layer what it became, and the bytes of every quantized initializer written (codes, scales, zero points). */
    public record Result(Map<String, String> ops, long weightBytes, long weightCount) {
        public double bitsPerWeight() {
            return 8.0 * weightBytes / weightCount;
        }
    }

    public static Result export(Path srcOnnx, Map<String, CompressedLinear> layers, Path dst) {
        return export(srcOnnx, layers, dst, name -> null);
    }

    /**
     * A compressed encoder folder (compressed-tensors, as {@code slim4j compress} writes it) as an ONNX model: its
     * pack-quantized linears exported as {@link #export} does, every other float initializer of the graph that the
     * folder also holds (embeddings, norms, biases) replaced by the folder's values, so the ONNX model computes what the
     * folder does. The graph is {@code graph} (a built-in encoder name or an .onnx file), or when null the folder's
     * config.json {@code _name_or_path} (which compress records).
     */
    public static Result fromFolder(Path folder, String graph, Path dst) {
        Path cfg = folder.resolve("config.json");
        if (CompressedTensorsFile.quantizationConfig(folder).isEmpty()) {
            throw new BadInputException(cfg, "quantization_config", "not a compressed-tensors folder (nothing quantized to export)");
        }
        String spec = graph;
        if (spec == null) {
            try {
                spec = new ObjectMapper().readTree(cfg.toFile()).path("_name_or_path").asText(null);
            } catch (IOException e) {
                throw new BadInputException(cfg, "config.json", "not valid JSON: " + e.getMessage());
            }
            if (spec == null) throw new BadInputException(cfg, "_name_or_path", "no ONNX graph to write the weights into: pass --graph BASE.onnx (the model it was compressed from)");
        }
        Path onnx = Models.file(spec);
        if (!onnx.getFileName().toString().endsWith(".onnx") || !Files.isRegularFile(onnx)) {
            throw new BadInputException(graph != null ? "--graph" : cfg.toString(), graph != null ? null : "_name_or_path", "'" + spec + "' is not an .onnx file or a built-in encoder");
        }
        try (TensorFile tf = CompressedTensorsFile.openFolder(folder)) {
            CompressedTensorsFile f = (CompressedTensorsFile) tf;
            Map<String, CompressedLinear> layers = new LinkedHashMap<>();
            for (var e : f.formats().entrySet()) {
                if (!e.getKey().startsWith("encoder.layer.")) continue; // embeddings are lookups: their dense values go in below
                CompressedTensorsFile.Codes k = f.codes(e.getKey()).orElseThrow(() -> new BadInputException(folder, e.getKey(),
                        e.getValue() + " layers have no ONNX form here (only pack-quantized ones export)"));
                QuantScheme s = f.scheme(e.getKey()).orElseThrow();
                byte[] codes = new byte[k.q().length];
                for (int i = 0; i < codes.length; i++) codes[i] = (byte) k.q()[i];
                layers.put(e.getKey() + ".weight", new QuantizedLinear(k.rows(), k.cols(), s, codes, k.scales(), k.zeros(), 16, "compressed-tensors"));
            }
            return export(onnx, layers, dst, name -> f.find(name).map(t -> t.dtype().isFloatLike() ? Dequant.toFloats(t) : null).orElse(null));
        }
    }

    /** @param replace the values that replace a float initializer of the graph by its name, or null to keep it */
    static Result export(Path srcOnnx, Map<String, CompressedLinear> layers, Path dst, java.util.function.Function<String, float[]> replace) {
        Map<String, String> hfToInit;
        try (OnnxModelFile f = OnnxModelFile.open(srcOnnx)) {
            hfToInit = BertWeights.linearWeightNames(f);
        }
        ModelProto model = parse(srcOnnx);
        GraphProto g = model.getGraph();
        Map<String, CompressedLinear> byInit = new HashMap<>();
        for (var e : layers.entrySet()) {
            String init = hfToInit.get(e.getKey());
            if (init == null) throw new IllegalArgumentException(e.getKey() + " is not a MatMul weight of " + srcOnnx);
            byInit.put(init, e.getValue());
        }
        Map<String, String> ops = new LinkedHashMap<>();
        long[] bytes = {0}, count = {0};
        GraphProto.Builder gb = g.toBuilder().clearNode().clearInitializer();
        for (TensorProto t : g.getInitializerList()) {
            float[] values = byInit.containsKey(t.getName()) ? null : replace.apply(t.getName());
            long elements = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            if (values != null && t.getDataType() == DataType.FLOAT_VALUE && values.length == elements) {
                gb.addInitializer(floats(t.getName(), t.getDimsList().stream().mapToLong(Long::longValue).toArray(), values));
            } else if (!byInit.containsKey(t.getName())) {
                gb.addInitializer(t);
            } else {
                checkShape(t, byInit.get(t.getName()));
            }
        }
        boolean usesMs = false, usesQdq = false;
        for (NodeProto n : g.getNodeList()) {
            CompressedLinear c = n.getOpType().equals("MatMul") && n.getInputCount() == 2 ? byInit.remove(n.getInput(1)) : null;
            if (c == null) {
                gb.addNode(n);
                continue;
            }
            if (!(c instanceof QuantizedLinear q)) throw new IllegalArgumentException(n.getInput(1) + ": only quantized linears export, not " + c.describe());
            String hf = hfName(hfToInit, n.getInput(1));
            if (q.scheme().bits() == 8 && q.scheme().groupSize() <= 0) {
                bytes[0] += qdq(gb, n, q);
                ops.put(hf, "DequantizeLinear+MatMul");
                usesQdq |= q.scheme().groupSize() == QuantScheme.PER_CHANNEL;
            } else if (q.scheme().bits() == 4 && q.scheme().groupSize() >= 16 && Integer.bitCount(q.scheme().groupSize()) == 1) {
                bytes[0] += matMulNBits(gb, n, q);
                ops.put(hf, "MatMulNBits");
                usesMs = true;
            } else {
                throw new IllegalArgumentException(hf + ": " + q.scheme() + " exports neither as QDQ (8-bit per-channel/tensor) nor MatMulNBits (4-bit, power-of-two group >= 16)");
            }
            count[0] += (long) q.rows() * q.cols();
        }
        if (!byInit.isEmpty()) throw new IllegalArgumentException("weights used by no MatMul: " + byInit.keySet());
        // an initializer may also be listed as a graph input (IR < 4 exports); the replaced ones must go
        var names = new java.util.HashSet<String>();
        gb.getInitializerList().forEach(t -> names.add(t.getName()));
        gb.clearInput();
        for (var in : g.getInputList()) if (!hfToInit.containsValue(in.getName()) || names.contains(in.getName())) gb.addInput(in);
        ModelProto.Builder mb = model.toBuilder().setGraph(gb);
        if (usesQdq) Opset13.upgrade(mb);
        if (usesMs) mb.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MS_DOMAIN).setVersion(1));
        byte[] out = mb.build().toByteArray();
        try {
            AtomicFiles.write(dst, tmp -> Files.write(tmp, out));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dst, e);
        }
        return new Result(ops, bytes[0], count[0]);
    }

    private static String hfName(Map<String, String> hfToInit, String init) {
        return hfToInit.entrySet().stream().filter(e -> e.getValue().equals(init)).map(Map.Entry::getKey).findFirst().orElse(init);
    }

    /** The MatMul's [in, out] weight becomes int8 codes [in, out]; scale/zero per output column (axis 1). */
    private static long qdq(GraphProto.Builder gb, NodeProto mm, QuantizedLinear q) {
        String w = mm.getInput(1);
        int out = q.rows(), in = q.cols();
        byte[] codes = new byte[in * out];
        for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) codes[c * out + r] = q.codes()[r * in + c];
        boolean perTensor = q.scheme().groupSize() == QuantScheme.PER_TENSOR;
        float[] scales = q.scales();
        byte[] zeros = new byte[q.zeros().length];
        for (int i = 0; i < zeros.length; i++) zeros[i] = (byte) q.zeros()[i];
        long[] vec = perTensor ? new long[0] : new long[] {out};
        gb.addInitializer(raw(w + "_quantized", DataType.INT8, new long[] {in, out}, codes));
        gb.addInitializer(floats(w + "_scale", vec, scales));
        gb.addInitializer(raw(w + "_zero_point", DataType.INT8, vec, zeros));
        NodeProto.Builder dq = NodeProto.newBuilder().setOpType("DequantizeLinear").setName(mm.getName() + "_DequantizeLinear")
                .addInput(w + "_quantized").addInput(w + "_scale").addInput(w + "_zero_point").addOutput(w);
        if (!perTensor) dq.addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1));
        gb.addNode(dq);
        gb.addNode(mm);
        return codes.length + 4L * scales.length + zeros.length;
    }

    /**
     * MatMulNBits dequantizes B[n, k] = (q - zp) * scale with q unsigned 4-bit; slim4j's signed codes c with zero z
     * map to q = c + 8, zp = z + 8. Two codes per byte, the even k in the low nibble; zero points likewise per row.
     */
    private static long matMulNBits(GraphProto.Builder gb, NodeProto mm, QuantizedLinear q) {
        String w = mm.getInput(1);
        int n = q.rows(), k = q.cols(), block = q.scheme().groupSize(), blocks = k / block, blob = block / 2;
        byte[] b = new byte[n * blocks * blob];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                int u = q.codes()[r * k + c] + 8;
                b[r * k / 2 + c / 2] |= (byte) (c % 2 == 0 ? u : u << 4);
            }
        }
        gb.addInitializer(raw(w + "_Q4", DataType.UINT8, new long[] {n, blocks, blob}, b));
        gb.addInitializer(floats(w + "_scales", new long[] {(long) n * blocks}, q.scales()));
        long bytes = b.length + 4L * q.scales().length;
        NodeProto.Builder nb = NodeProto.newBuilder().setOpType("MatMulNBits").setDomain(MS_DOMAIN).setName(mm.getName() + "_Q4")
                .addInput(mm.getInput(0)).addInput(w + "_Q4").addInput(w + "_scales").addOutput(mm.getOutput(0))
                .addAttribute(intAttr("K", k)).addAttribute(intAttr("N", n)).addAttribute(intAttr("bits", 4))
                .addAttribute(intAttr("block_size", block));
        if (!q.scheme().symmetric()) {
            int zpRow = (blocks + 1) / 2;
            byte[] zp = new byte[n * zpRow];
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < blocks; j++) {
                    int u = q.zeros()[r * blocks + j] + 8;
                    zp[r * zpRow + j / 2] |= (byte) (j % 2 == 0 ? u : u << 4);
                }
            }
            gb.addInitializer(raw(w + "_zero_points", DataType.UINT8, new long[] {zp.length}, zp));
            nb.addInput(w + "_zero_points");
            bytes += zp.length;
        }
        gb.addNode(nb);
        return bytes;
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static TensorProto raw(String name, DataType type, long[] dims, byte[] data) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(ByteString.copyFrom(data));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static TensorProto floats(String name, long[] dims, float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) bb.putFloat(f);
        return raw(name, DataType.FLOAT, dims, bb.array());
    }

    private static void checkShape(TensorProto t, CompressedLinear c) {
        if (t.getDimsCount() != 2 || t.getDims(0) != c.cols() || t.getDims(1) != c.rows()) {
            throw new IllegalArgumentException(t.getName() + " is " + t.getDimsList() + " ([in, out]) but the layer is " + c.rows() + " x " + c.cols());
        }
    }

    private static ModelProto parse(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            CodedInputStream cis = CodedInputStream.newInstance(in);
            cis.setSizeLimit(Integer.MAX_VALUE);
            return ModelProto.parseFrom(cis);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + p, e);
        }
    }
}
