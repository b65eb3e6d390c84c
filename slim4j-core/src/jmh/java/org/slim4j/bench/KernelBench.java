package org.slim4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.BoundMatrix;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.tensor.kernel.InterleavedRows;
import org.slim4j.tensor.kernel.MatVec;
import org.slim4j.tensor.kernel.Q8Act;
import org.slim4j.tensor.quant.BlockCodecs;

/**
 * One-thread matrix-vector product per weight type on 4096 x 4096. F32 and F16 (67 and 34 MB) stream from memory;
 * the 4- to 8-bit types (9-18 MB) fit a 32 MB L3, so give them {@code -p rows=16384 -p cols=8192} for figures from
 * memory. GB/s of weights = bytesPerOp (printed at setup) x ops/s; compare with {@link BandwidthBench} for the
 * roofline.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBench {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K"})
    public String type;

    @Param({"4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    /** Which kernels decoding runs: the C ones (where the CPU has them) or the Java ones. */
    @Param({"c", "java"})
    public String engine;

    Tensor w;
    BoundMatrix bound; // what decoding runs: the matrix bound to its type's kernels (re-laid where the Java path re-lays)
    float[] x, y, scratch;
    Q8Act qx;

    @Setup
    public void setup() {
        DType t = DType.valueOf(type);
        SplittableRandom r = new SplittableRandom(1);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() - 0.5);
        MemorySegment seg = Arena.ofShared().allocate(t.bytesFor((long) rows * cols), 64);
        switch (t) {
            case F32 -> MemorySegment.copy(v, 0, seg, Dequant.F32, 0, v.length);
            case F16 -> { for (int i = 0; i < v.length; i++) seg.set(Dequant.I16, 2L * i, Float.floatToFloat16(v[i])); }
            case BF16 -> { for (int i = 0; i < v.length; i++) seg.set(Dequant.I16, 2L * i, Dequant.floatToBf16(v[i])); }
            default -> BlockCodecs.encoder(t).encode(v, 0, seg, 0, v.length);
        }
        w = new Tensor("w", t, new long[] {rows, cols}, seg);
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        y = new float[rows];
        scratch = new float[MatVec.scratchSize(cols)];
        qx = new Q8Act(cols);
        qx.quantize(x, 0, cols);
        EngineOptions o = EngineOptions.defaults().withCKernels(engine.equals("c"));
        bound = BoundMatrix.x16(w, o) ? BoundMatrix.x16(w, Arena.ofShared(), o)
                : BoundMatrix.relaid(w, o) ? BoundMatrix.of(w, InterleavedRows.of(w, Arena.ofShared(), false), o) : BoundMatrix.of(w, o);
        System.out.printf("%n[%s] bytesPerOp %d%n", type, seg.byteSize());
    }

    /** The decode path: activations quantized to int8 per 32-block (types without an integer kernel take the float one). */
    @Benchmark
    public void matvecInt8(Blackhole bh) {
        MatVec.rows(w, 0, rows, qx, x, y, false, scratch);
        bh.consume(y);
    }

    /** What decoding runs: the bound matrix's int8 kernel (C, or Java on the re-laid copy where the type has one). */
    @Benchmark
    public void matvecDecode(Blackhole bh) {
        bound.rows(0, rows, qx, x, y, false, scratch);
        bh.consume(y);
    }

    @Benchmark
    public void matvec(Blackhole bh) {
        MatVec.rows(w, 0, rows, x, 1, y, rows, false, scratch);
        bh.consume(y);
    }
}
