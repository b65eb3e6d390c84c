package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;

/** ONNX models: the protobuf, initializers (raw and typed), and the constants that Constant nodes hold. */
class OnnxFuzzTest {
    static Stream<byte[]> seeds() {
        return FuzzSeeds.onnx();
    }

    @MethodSource("seeds")
    @FuzzTest
    void onnx(byte[] data) {
        FuzzInput.read(() -> {
            try (OnnxModelFile f = OnnxModelFile.open(FuzzInput.file("model.onnx", data))) {
                for (NodeProto n : f.nodes()) {
                    for (String out : n.getOutputList()) f.constant(out);
                    for (String in : n.getInputList()) f.producer(in);
                }
            }
        });
    }
}
