package org.slim4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.*;

/** The memory read roofline: summing a 256 MB off-heap segment with 256-bit loads, one thread. GB/s = 0.268435456 x ops/s. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BandwidthBench {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final long BYTES = 256L << 20;
    MemorySegment seg;

    @Setup
    public void setup() {
        seg = Arena.ofShared().allocate(BYTES, 64);
        for (long i = 0; i < BYTES; i += 4096) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) 1);
    }

    @Benchmark
    public float read() {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        for (long o = 0; o < BYTES; o += 128) {
            a = a.add(FloatVector.fromMemorySegment(F, seg, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, seg, o + 32, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, seg, o + 64, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, seg, o + 96, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }
}
