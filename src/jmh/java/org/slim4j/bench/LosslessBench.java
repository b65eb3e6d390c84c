package org.slim4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.slim4j.io.TensorFile;
import org.slim4j.io.lossless.LosslessFile;
import org.slim4j.io.lossless.LosslessWriter;
import org.slim4j.io.safetensors.SafetensorsFile;

/**
 * Decoding a losslessly coded checkpoint (io.lossless) on {@code threads} threads: the whole file opened and every
 * coded tensor decoded and CRC-checked, as a load does. Coded once at setup from {@code model} (default: the trained
 * 50M Llama, BF16). GB/s of decoded output = decoded bytes (printed at setup) x ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LosslessBench {
    @Param({"../shared/models/trained-llama-50m"})
    public String model;
    @Param({"1"})
    public int threads;

    Path coded;
    ForkJoinPool pool;

    @Setup
    public void setup() throws Exception {
        coded = Files.createTempFile("lossless-bench", ".safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(Path.of(model))) {
            LosslessWriter.write(f.tensors(), f.metadata(), coded);
        }
        pool = new ForkJoinPool(threads);
        long decoded = pool.submit(() -> {
            try (TensorFile t = LosslessFile.decodeIfCoded(SafetensorsFile.open(coded))) {
                return ((LosslessFile) t).coded().stream().mapToLong(LosslessFile.Coded::decodedBytes).sum();
            }
        }).get();
        System.out.printf("%n%s: %d decoded bytes in coded tensors, %d bytes on disk%n", model, decoded, Files.size(coded));
    }

    @TearDown
    public void tearDown() throws Exception {
        pool.shutdown();
        Files.deleteIfExists(coded);
    }

    @Benchmark
    public int decode() throws Exception {
        return pool.submit(() -> {
            try (TensorFile t = LosslessFile.decodeIfCoded(SafetensorsFile.open(coded))) {
                return t.tensors().size();
            }
        }).get();
    }
}
