package org.slim4j.io.lossless;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.slim4j.io.TensorFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.Tensor;

/**
 * Decoding losslessly coded weights (io.lossless), the tensors of {@code model} (default: the trained 50M Llama,
 * BF16) coded once at setup. {@code chunks}: every chunk decoded on one thread into memory allocated once (stream,
 * merge of sign and mantissa, CRC), the decoder's own speed; {@code load}: the coded file opened, decoded on
 * {@code threads} threads into fresh memory and closed, as a load does. GB/s of decoded output = the decoded bytes
 * printed at setup x ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LosslessBench {
    @Param({"../shared/models/trained-llama-50m"})
    public String model;
    @Param({"1"})
    public int threads;

    Path coded;
    ForkJoinPool pool;
    List<ExponentCoding.Parts> parts = new ArrayList<>();
    List<MemorySegment> outs = new ArrayList<>();
    ExponentCoding.Scratch scratch = new ExponentCoding.Scratch();

    @Setup
    public void setup() throws Exception {
        coded = Files.createTempFile("lossless-bench", ".safetensors");
        long decoded = 0;
        try (SafetensorsFile f = SafetensorsFile.open(Path.of(model))) {
            LosslessWriter.write(f.tensors(), f.metadata(), coded);
            for (Tensor t : f.tensors()) {
                if (t.elements() < LosslessWriter.MIN_ELEMENTS || FloatFields.of(t.dtype()) == null) continue;
                parts.add(ExponentCoding.encode(t));
                outs.add(Arena.ofAuto().allocate(t.data().byteSize(), 64));
                decoded += t.data().byteSize();
            }
        }
        pool = new ForkJoinPool(threads);
        System.out.printf("%n%s: %d decoded bytes in coded tensors, %d bytes on disk%n", model, decoded, Files.size(coded));
    }

    @TearDown
    public void tearDown() throws Exception {
        pool.shutdown();
        Files.deleteIfExists(coded);
    }

    @Benchmark
    public int chunks() {
        int ok = 0;
        for (int i = 0; i < parts.size(); i++) {
            for (int c = 0; c < ExponentCoding.chunks(parts.get(i).elements()); c++) {
                if (ExponentCoding.decode(parts.get(i), c, scratch, outs.get(i)) == null) ok++;
            }
        }
        return ok;
    }

    @Benchmark
    public int load() throws Exception {
        return pool.submit(() -> {
            try (TensorFile t = LosslessFile.decodeIfCoded(SafetensorsFile.open(coded))) {
                return t.tensors().size();
            }
        }).get();
    }
}
