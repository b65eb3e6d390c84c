package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.ValueLayout;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.io.gguf.GgufArray;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.Tensor;

/** GGUF files: header, metadata of every type, tensor infos and layout, then the model config and weights they imply. */
class GgufFuzzTest {
    static Stream<byte[]> seeds() {
        return FuzzSeeds.ggufs();
    }

    @MethodSource("seeds")
    @FuzzTest
    void gguf(byte[] data) {
        FuzzInput.read(() -> {
            try (GgufFile g = GgufFile.open(FuzzInput.file("model.gguf", data))) {
                for (String key : g.metadata().keySet()) {
                    Object v = g.value(key);
                    if (v instanceof GgufArray a && a.size() > 0) a.get(a.size() - 1);
                    g.typeOf(key);
                }
                for (Tensor t : g.tensors()) {
                    if (t.data().byteSize() > 0) t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                }
                LlamaWeights.load(g, LlamaConfig.fromGguf(g), LlamaWeights.Names.GGUF);
            }
        });
    }
}
