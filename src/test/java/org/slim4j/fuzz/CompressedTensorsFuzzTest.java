package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.io.TensorFile;
import org.slim4j.io.compressed.CompressedTensorsFile;

/**
 * compressed-tensors folders: config.json's quantization_config and the packed safetensors it describes (the input
 * is {@link FuzzInput#split split} into the two files), decoded to the dense weights.
 */
class CompressedTensorsFuzzTest {
    static Stream<byte[]> seeds() {
        return FuzzSeeds.compressed();
    }

    @MethodSource("seeds")
    @FuzzTest
    void compressedTensors(byte[] data) {
        byte[][] parts = FuzzInput.split(data);
        Path dir = FuzzInput.folder("compressed");
        FuzzInput.write(dir.resolve("config.json"), parts[0]);
        FuzzInput.write(dir.resolve("model.safetensors"), parts[1]);
        FuzzInput.read(() -> {
            try (TensorFile f = CompressedTensorsFile.openFolder(dir)) {
                f.tensors();
            }
        });
    }
}
