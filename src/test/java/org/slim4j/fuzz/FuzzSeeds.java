package org.slim4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import org.slim4j.compress.output.CompressedTensorsWriter;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.io.gguf.GgufArray;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufValueType;
import org.slim4j.io.gguf.GgufWriter;
import org.slim4j.io.onnx.proto.Onnx;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.testutil.Fixtures;
import org.slim4j.testutil.HfFolders;
import org.slim4j.util.AtomicFiles;

/**
 * Seed inputs for the fuzz targets, made from ../shared/fixtures: the tiny Llama's GGUF files, safetensors,
 * config.json and tokenizer.json, cut down to a few KiB (short vocabularies, one-block tensors) so that each
 * execution is fast while every structure of the real files is there for the fuzzer to mutate.
 */
final class FuzzSeeds {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Vocabulary entries kept in tokenizer seeds: enough for the byte tokens and the first merges. */
    private static final int VOCAB = 400;

    private FuzzSeeds() {}

    /** Each fixture GGUF with its metadata arrays cut to 64 entries and its first 12 tensors one block long. */
    static Stream<byte[]> ggufs() {
        List<byte[]> out = new ArrayList<>();
        for (String type : Fixtures.GGUF_TYPES) {
            try (GgufFile f = GgufFile.open(Fixtures.gguf(type))) {
                GgufWriter w = new GgufWriter();
                f.metadata().forEach((k, v) -> w.put(k, f.typeOf(k),
                        v instanceof GgufArray a && a.size() > 64 ? new GgufArray(a.elementType(), a.subList(0, 64)) : v));
                f.tensors().stream().limit(12).forEach(t -> addOneBlock(w, t));
                out.add(bytes(w));
            }
        }
        return out.stream();
    }

    /** A fixture GGUF's vocabulary cut to its first {@link #VOCAB} tokens and the merges among them, no tensors. */
    static byte[] ggufVocabulary() {
        try (GgufFile f = GgufFile.open(Fixtures.gguf("Q8_0"))) {
            GgufWriter w = new GgufWriter();
            List<String> tokens = f.strings("tokenizer.ggml.tokens").subList(0, VOCAB);
            Set<String> kept = new HashSet<>(tokens);
            f.metadata().forEach((k, v) -> {
                if (!k.startsWith("tokenizer.")) return;
                if (k.equals("tokenizer.ggml.merges")) {
                    w.putStrings(k, f.strings(k).stream().filter(m -> keeps(kept, m.split(" ", -1))).limit(200).toList());
                } else if (v instanceof GgufArray a && a.size() > VOCAB) {
                    w.put(k, GgufValueType.ARRAY, new GgufArray(a.elementType(), a.subList(0, VOCAB)));
                } else if (!(v instanceof Number n && k.endsWith("_token_id") && n.longValue() >= VOCAB)) {
                    w.put(k, f.typeOf(k), v);
                }
            });
            return bytes(w);
        }
    }

    private static boolean keeps(Set<String> vocab, String[] merge) {
        return merge.length == 2 && vocab.contains(merge[0]) && vocab.contains(merge[1]) && vocab.contains(merge[0] + merge[1]);
    }

    private static void addOneBlock(GgufWriter w, Tensor t) {
        long[] shape = t.shape().length == 1 ? new long[] {t.dtype().blockSize} : new long[] {1, t.dtype().blockSize};
        w.addTensor(t.name(), t.dtype(), shape, MemorySegment.ofArray(new byte[(int) t.dtype().bytesFor(t.dtype().blockSize)]));
    }

    private static byte[] bytes(GgufWriter w) {
        return viaFile(p -> w.write(p));
    }

    /** The fixture's first tensors, shrunk to [2, 8] or [8] elements of their own bytes, with its metadata. */
    static Stream<byte[]> safetensors() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.TINY_LLAMA)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (Tensor t : f.tensors().subList(0, 6)) {
                long[] shape = t.shape().length == 1 ? new long[] {8} : new long[] {2, 8};
                long n = shape.length == 1 ? 8 : 16;
                w.add(t.name(), t.dtype(), shape, t.data().asSlice(0, t.dtype().bytesFor(n)));
            }
            return Stream.of(viaFile(w::write));
        }
    }

    /**
     * A small ONNX model in the shape of the BERT exports the reader takes (there is none among the fixtures):
     * initializers as raw_data and as each typed field, a Constant node, an opset-11 Unsqueeze.
     */
    static Stream<byte[]> onnx() {
        var g = Onnx.GraphProto.newBuilder().setName("g")
                .addInitializer(Onnx.TensorProto.newBuilder().setName("encoder.layer.0.attention.self.query.weight")
                        .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE).addDims(2).addDims(2)
                        .setRawData(ByteString.copyFrom(new byte[16])))
                .addInitializer(Onnx.TensorProto.newBuilder().setName("b").setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                        .addDims(2).addFloatData(1f).addFloatData(-2f))
                .addInitializer(Onnx.TensorProto.newBuilder().setName("shape").setDataType(Onnx.TensorProto.DataType.INT64_VALUE)
                        .addDims(2).addInt64Data(1).addInt64Data(-1))
                .addInitializer(Onnx.TensorProto.newBuilder().setName("h").setDataType(Onnx.TensorProto.DataType.FLOAT16_VALUE)
                        .addDims(2).addInt32Data(0x3c00).addInt32Data(0xbc00))
                .addInitializer(Onnx.TensorProto.newBuilder().setName("q").setDataType(Onnx.TensorProto.DataType.INT8_VALUE)
                        .addDims(4).setRawData(ByteString.copyFrom(new byte[] {1, -1, 2, -2})))
                .addInitializer(Onnx.TensorProto.newBuilder().setName("d").setDataType(Onnx.TensorProto.DataType.DOUBLE_VALUE)
                        .addDims(1).addDoubleData(0.5))
                .addNode(Onnx.NodeProto.newBuilder().setOpType("Constant").setName("c").addOutput("c_out")
                        .addAttribute(Onnx.AttributeProto.newBuilder().setName("value").setType(Onnx.AttributeProto.AttributeType.TENSOR)
                                .setT(Onnx.TensorProto.newBuilder().setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE).addDims(1).addFloatData(1e-12f))))
                .addNode(Onnx.NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("input_ids")
                        .addInput("encoder.layer.0.attention.self.query.weight").addOutput("mm_out"))
                .addNode(Onnx.NodeProto.newBuilder().setOpType("Unsqueeze").setName("u").addInput("mm_out").addOutput("u_out")
                        .addAttribute(Onnx.AttributeProto.newBuilder().setName("axes").setType(Onnx.AttributeProto.AttributeType.INTS).addInts(1)))
                .addInput(Onnx.ValueInfoProto.newBuilder().setName("input_ids"))
                .addOutput(Onnx.ValueInfoProto.newBuilder().setName("u_out"));
        var m = Onnx.ModelProto.newBuilder().setIrVersion(7).setProducerName("slim4j-fuzz")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(11)).setGraph(g);
        return Stream.of(m.build().toByteArray());
    }

    /** Folders the compressed-tensors writer makes from two of the fixture's projections: int4 g32 asym, int8 per channel. */
    static Stream<byte[]> compressed() {
        Path tmp = tempDir();
        try {
            Path src = Files.createDirectories(tmp.resolve("src"));
            Files.copy(Fixtures.TINY_LLAMA.resolve("config.json"), src.resolve("config.json"));
            try (SafetensorsFile f = SafetensorsFile.open(Fixtures.TINY_LLAMA)) {
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                for (String name : new String[] {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"}) {
                    float[] v = Dequant.toFloats(f.tensor(name));
                    w.add(name, DType.F32, new long[] {4, 64}, java.util.Arrays.copyOf(v, 256));
                }
                w.add("model.norm.weight", DType.F32, new long[] {4}, new float[] {1, 1, 1, 1});
                w.write(src.resolve("model.safetensors"));
            }
            List<byte[]> out = new ArrayList<>();
            for (QuantScheme s : new QuantScheme[] {new QuantScheme(4, 32, false), new QuantScheme(8, QuantScheme.PER_CHANNEL, true)}) {
                Path dst = tmp.resolve("ct" + s.bits());
                new CompressedTensorsWriter(DType.F16).write(src, HfFolders.compressAll(src, n -> n.contains("proj"),
                        lw -> Rtn.quantize(lw, s, false, "rtn")), dst);
                out.add(FuzzInput.join(Files.readAllBytes(dst.resolve("config.json")), Files.readAllBytes(dst.resolve("model.safetensors"))));
            }
            return out.stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    /** The fixture's config.json, its Qwen2 and Llama 3 variants, and a BERT config. */
    static Stream<String> configs() {
        try {
            String llama = Files.readString(Fixtures.TINY_LLAMA.resolve("config.json"));
            ObjectNode qwen = (ObjectNode) JSON.readTree(llama);
            qwen.put("model_type", "qwen2").putArray("architectures").add("Qwen2ForCausalLM");
            qwen.put("sliding_window", 4096).put("use_sliding_window", false).put("head_dim", 64);
            ObjectNode llama3 = (ObjectNode) JSON.readTree(llama);
            llama3.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                    .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
            llama3.putArray("eos_token_id").add(0).add(2);
            String bert = """
                    {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522, "hidden_size": 384,
                     "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
                     "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
                     "pruned_heads": {"1": [0, 3]}, "slim4j_intermediate_sizes": [1536, 1536, 768, 1536, 1536, 0]}""";
            return Stream.of(llama, qwen.toString(), llama3.toString(), bert);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Tokenizer inputs: a first byte 0 then a GGUF vocabulary, or a first byte 1 then a tokenizer.json, both the
     * fixture's cut to {@link #VOCAB} tokens and the merges among them.
     */
    static Stream<byte[]> tokenizers() {
        try {
            ObjectNode t = (ObjectNode) JSON.readTree(Fixtures.TINY_LLAMA.resolve("tokenizer.json").toFile());
            ObjectNode model = (ObjectNode) t.get("model");
            ObjectNode vocab = JSON.createObjectNode();
            model.get("vocab").properties().forEach(e -> {
                if (e.getValue().asInt() < VOCAB) vocab.set(e.getKey(), e.getValue());
            });
            ArrayNode merges = JSON.createArrayNode();
            for (var m : model.get("merges")) {
                String[] parts = m.isArray() ? new String[] {m.get(0).asText(), m.get(1).asText()} : m.asText().split(" ", -1);
                if (keeps(iterable(vocab), parts) && merges.size() < 200) merges.add(m);
            }
            model.set("vocab", vocab);
            model.set("merges", merges);
            ArrayNode added = JSON.createArrayNode();
            t.get("added_tokens").forEach(a -> { if (a.get("id").asInt() < VOCAB) added.add(a); });
            t.set("added_tokens", added);
            return Stream.of(prefixed(0, ggufVocabulary()), prefixed(1, t.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> iterable(ObjectNode vocab) {
        Set<String> s = new HashSet<>();
        vocab.fieldNames().forEachRemaining(s::add);
        return s;
    }

    private static byte[] prefixed(int mode, byte[] b) {
        byte[] out = new byte[b.length + 1];
        out[0] = (byte) mode;
        System.arraycopy(b, 0, out, 1, b.length);
        return out;
    }

    /** The recipes shipped in recipes/ and one of each kind of method the method table has. */
    static Stream<String> recipes() {
        List<String> out = new ArrayList<>();
        try (var files = Files.list(Path.of("recipes"))) {
            for (Path p : files.sorted().toList()) out.add(Files.readString(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.add("""
                stages:
                  - modifiers:
                      - method: gptq
                        scheme: {bits: 4, group_size: 64, symmetric: false}
                        targets: [Linear]
                        ignore: ['.*down_proj.*']
                        options: {dampening: 0.01, act_order: true}
                      - method: rtn
                        scheme: {bits: 8, group_size: -1}
                        targets: ['re:.*down_proj.*']
                """);
        out.add("""
                stages:
                  - modifiers:
                      - {method: wanda, options: {sparsity: 0.5}, targets: [Linear]}
                  - modifiers:
                      - {method: svd-llm, options: {ratio: 0.5, allocation: global}, targets: ['.*mlp.*']}
                      - {method: squeezellm, scheme: {bits: 3}, targets: [Embedding]}
                """);
        return out.stream();
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("slim4j-seeds");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface FileWriter {
        void write(Path p) throws IOException;
    }

    private static byte[] viaFile(FileWriter w) {
        Path dir = tempDir();
        try {
            Path p = dir.resolve("seed");
            w.write(p);
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }
}
