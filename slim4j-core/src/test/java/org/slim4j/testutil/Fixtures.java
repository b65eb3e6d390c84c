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
    /**
     * ../shared beside the repository: from slim4j.home (the repository's root, set by the build), else the first
     * folder named shared with fixtures beside the working folder or one of its parents (child JVMs run in a module).
     */
    public static final Path SHARED = findShared();
    /** The repository's root (recipes/, scripts/, the launcher): slim4j.home, else the nearest folder up with recipes/. */
    public static final Path ROOT = findRoot();
    public static final Path FIXTURES = SHARED.resolve("fixtures");
    public static final Path DATA = SHARED.resolve("data");
    public static final Path TINY_LLAMA = FIXTURES.resolve("tiny-llama-rand");
    public static final String[] GGUF_TYPES = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"};

    private Fixtures() {}

    private static Path findRoot() {
        String home = System.getProperty("slim4j.home");
        if (home != null) return Path.of(home).toAbsolutePath().normalize();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (java.nio.file.Files.isDirectory(p.resolve("recipes"))) return p;
        }
        return Path.of("").toAbsolutePath();
    }

    private static Path findShared() {
        String home = System.getProperty("slim4j.home");
        if (home != null) return Path.of(home, "..", "shared").toAbsolutePath().normalize();
        for (Path p = Path.of("").toAbsolutePath(); p.getParent() != null; p = p.getParent()) {
            if (java.nio.file.Files.isDirectory(p.resolveSibling("shared").resolve("fixtures"))) return p.resolveSibling("shared");
        }
        return Path.of("..", "shared").toAbsolutePath().normalize();
    }

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
