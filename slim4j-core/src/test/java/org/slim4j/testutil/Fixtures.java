package org.slim4j.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths into ../shared (data and llama.cpp fixtures), read-only. */
public final class Fixtures {
    /** ../shared beside the repository: found from slim4j.home (the repository's root, set by the build) or the working folder. */
    public static final Path SHARED = Path.of(System.getProperty("slim4j.home", "."), "..", "shared").toAbsolutePath().normalize();
    public static final Path FIXTURES = SHARED.resolve("fixtures");
    public static final Path DATA = SHARED.resolve("data");
    public static final Path TINY_LLAMA = FIXTURES.resolve("tiny-llama-rand");
    public static final String[] GGUF_TYPES = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"};

    private Fixtures() {}

    public static Path gguf(String type) {
        return FIXTURES.resolve("tiny-llama-rand-" + type + ".gguf");
    }

    public static int[] promptTokens() {
        try {
            JsonNode n = new ObjectMapper().readTree(FIXTURES.resolve("prompt.tokens.json").toFile()).get("tokens");
            int[] ids = new int[n.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = n.get(i).asInt();
            return ids;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String prompt() {
        try {
            String s = Files.readString(FIXTURES.resolve("prompt.txt"));
            return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A little-endian float32 file, e.g. logits-exact.f32 ([27, 49152]). */
    public static float[] f32(String name) {
        try {
            byte[] b = Files.readAllBytes(FIXTURES.resolve(name));
            float[] f = new float[b.length / 4];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
