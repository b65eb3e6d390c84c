package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.llama.LlamaConfig;

/** Hugging Face config.json, read as a decoder's (LlamaConfig) and as an encoder's (BertConfig). */
class ConfigJsonFuzzTest {
    static Stream<byte[]> seeds() {
        return FuzzSeeds.configs().map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @MethodSource("seeds")
    @FuzzTest
    void configJson(byte[] data) {
        Path p = FuzzInput.file("config.json", data);
        FuzzInput.read(() -> LlamaConfig.fromHfConfig(p));
        FuzzInput.read(() -> BertConfig.fromJson(p));
    }
}
