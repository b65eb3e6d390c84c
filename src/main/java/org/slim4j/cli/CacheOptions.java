package org.slim4j.cli;

import org.slim4j.tensor.kernel.KvCacheOptions;
import org.slim4j.tensor.kernel.KvCacheType;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Option;

/** How a decoder's KV cache stores keys and values for this run (llama.cpp's -ctk/-ctv, plus KIVI). */
final class CacheOptions {
    @Option(names = {"-ctk", "--cache-type-k"}, defaultValue = "f32", paramLabel = "TYPE",
            description = "Keys: f32, f16, q8_0, q4_0, kivi4, kivi2 (default: ${DEFAULT-VALUE}).")
    String k;

    @Option(names = {"-ctv", "--cache-type-v"}, defaultValue = "f32", paramLabel = "TYPE",
            description = "Values: f32, f16, q8_0, q4_0, kivi4, kivi2 (default: ${DEFAULT-VALUE}).")
    String v;

    @Option(names = "--cache-hadamard", description = "Rotate q8_0/q4_0 cache rows by a Hadamard transform before quantizing them.")
    boolean hadamard;

    @Option(names = "--kivi-window", defaultValue = "128", paramLabel = "R",
            description = "KIVI: the last R tokens at least stay in full precision (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--kivi-group", defaultValue = "32", paramLabel = "G",
            description = "KIVI: tokens per key group, channels per value group (default: ${DEFAULT-VALUE}).")
    int group;

    KvCacheOptions options() {
        try {
            return new KvCacheOptions(type("--cache-type-k", k), type("--cache-type-v", v), hadamard, window, group);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--cache-type-k/-v", null, e.getMessage());
        }
    }

    /** True when the run keeps the float32 cache. */
    boolean isDefault() {
        return options().equals(KvCacheOptions.F32);
    }

    private static KvCacheType type(String flag, String name) {
        try {
            return KvCacheType.byName(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(flag, null, e.getMessage());
        }
    }
}
