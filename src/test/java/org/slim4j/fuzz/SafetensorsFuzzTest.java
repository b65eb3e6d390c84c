package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/** safetensors files: header length, JSON header, dtypes, shapes and data offsets, then the values of small tensors. */
class SafetensorsFuzzTest {
    static Stream<byte[]> seeds() {
        return FuzzSeeds.safetensors();
    }

    @MethodSource("seeds")
    @FuzzTest
    void safetensors(byte[] data) {
        FuzzInput.read(() -> {
            try (SafetensorsFile f = SafetensorsFile.open(FuzzInput.file("model.safetensors", data))) {
                f.metadata();
                for (Tensor t : f.tensors()) if (t.elements() <= 4096 && t.dtype().isFloatLike()) Dequant.toFloats(t);
            }
        });
    }
}
