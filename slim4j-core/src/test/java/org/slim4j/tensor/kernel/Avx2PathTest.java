package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.DType;

/**
 * The kernels pick their vector width at class load (512 bits on AVX-512, 256 on AVX2), so on this project's
 * AVX-512 machines the 256-bit code paths would go untested. This runs the kernel tests' checks in a child JVM with
 * -XX:UseAVX=2, where the Vector API's preferred width is 256 bits (also the vector decoders of FastDequant).
 */
@Tag("slow")
class Avx2PathTest {
    @Test
    void kernelChecksPassAt256Bits() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(), "-XX:UseAVX=2", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Main.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("width 256 ok"), out);
    }

    static final class Main {
        public static void main(String[] args) {
            if (FloatKernels.W.vectorBitSize() != 256) throw new AssertionError("expected 256-bit vectors, got " + FloatKernels.W);
            for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
                    DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
                new MatVecTest().oneAndManyRowsMatchExactPath(t);
            }
            for (DType t : new DType[] {DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q4_K, DType.Q6_K}) {
                new IntKernelsTest().matchesDequantizedProductsAndBoundsActivationError(t);
                new IntKernelsTest().multiRowKernelsMatchOneRowKernelsExactly(t);
            }
            InterleavedRowsTest.check(DType.Q4_0, 96, 160);
            InterleavedRowsTest.checkPanels(DType.Q4_0, 64, 96);
            new PackedGemmTest().matchesAPlainLoopWithEveryEpilogueAndWorkerSplit();
            for (DType t : new DType[] {DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0}) {
                new FastDequantTest().bitIdenticalToTheReferenceDecoder(t);
            }
            System.out.println("width " + FloatKernels.W.vectorBitSize() + " ok");
        }
    }
}
