package org.slim4j.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.onnx.proto.Onnx.GraphProto;
import org.slim4j.io.onnx.proto.Onnx.ModelProto;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto;
import org.slim4j.util.BadInputException;

class BertMappingTest {
    @TempDir
    Path dir;

    private static TensorProto f32(String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(new byte[(int) (4 * n)]));
        for (long d : dims) b.addDims(d);
        return b.build();
    }

    @Test
    void anonymousMatMulWeightsAreFoundByNodeNameOrByTheirBias() throws Exception {
        GraphProto g = GraphProto.newBuilder()
                // named node, as torch exports it
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("/encoder/layer.0/attention/self/query/MatMul").addInput("h").addInput("onnx::MatMul_1").addOutput("q0"))
                // anonymous node: found through the Add that adds the HF-named bias
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("node_17").addInput("h").addInput("onnx::MatMul_2").addOutput("mm"))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("node_18").addInput("encoder.layer.1.intermediate.dense.bias").addInput("mm").addOutput("i1"))
                .addInitializer(f32("onnx::MatMul_1", 4, 4)).addInitializer(f32("onnx::MatMul_2", 4, 8))
                .addInitializer(f32("encoder.layer.1.intermediate.dense.bias", 8)).build();
        Path p = dir.resolve("m.onnx");
        Files.write(p, ModelProto.newBuilder().setIrVersion(7).setGraph(g).build().toByteArray());
        try (OnnxModelFile f = OnnxModelFile.open(p)) {
            Map<String, String> names = BertWeights.linearWeightNames(f);
            assertEquals(Map.of("encoder.layer.0.attention.self.query.weight", "onnx::MatMul_1",
                    "encoder.layer.1.intermediate.dense.weight", "onnx::MatMul_2"), names);
        }
    }

    @Test
    void configJsonIsReadAndCheckedForModelType() throws Exception {
        Path c = dir.resolve("config.json");
        Files.writeString(c, """
                {"model_type": "bert", "vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12,
                 "intermediate_size": 1536, "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}""");
        BertConfig cfg = BertConfig.fromJson(c);
        assertEquals(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12), cfg);
        assertEquals(32, cfg.headSize());
        Files.writeString(c, "{\"model_type\": \"llama\"}");
        BadInputException e = assertThrows(BadInputException.class, () -> BertConfig.fromJson(c));
        assertEquals(c + ": model_type: 'llama' is not bert", e.getMessage());
    }
}
