package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/** The vector decoders give ggml's reference values (Dequant) bit for bit, at whole blocks and at odd lengths. */
class FastDequantTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void bitIdenticalToTheReferenceDecoder(DType t) {
        int cols = t.blockSize == 256 ? 512 : t.isQuantized() ? 160 : 117;
        Tensor w = MatVecTest.randomMatrix(t, 3, cols, 11);
        int n = 3 * cols;
        float[] ref = new float[n + 2], fast = new float[n + 2];
        Dequant.decode(t, w.data(), 0, ref, 1, n);
        FastDequant.decode(t, w.data(), 0, fast, 1, n);
        assertArrayEquals(ref, fast, 0f, t + " whole tensor");
        // one row from the second one on: a block-aligned offset, and for float types an odd element count
        Dequant.decode(t, w.data(), w.rowBytes(), ref, 0, cols);
        FastDequant.decode(t, w.data(), w.rowBytes(), fast, 0, cols);
        assertArrayEquals(ref, fast, 0f, t + " second row");
    }
}
