package org.slim4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.tensor.DType;
import org.slim4j.testutil.GgmlOracle;

/**
 * Every encoder against ggml's own quantizer (the library llama-quantize runs on), byte for byte, on rows with heavy
 * tails, outliers, zero and constant stretches, with and without an importance vector. Skipped where the llama.cpp
 * tools are not installed; the llama-quantize fixtures (GgufImatrixIdentityTest) hold the same claim without them.
 */
class GgmlOracleEncoderTest {
    static final int ROWS = 48, COLS = 1024;

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void byteIdenticalToGgml(String name) {
        assumeTrue(GgmlOracle.available(), "llama.cpp's ggml library is not installed (scripts/llama-cpp.sh)");
        DType type = DType.valueOf(name);
        Random rnd = new Random(7);
        float[] x = new float[ROWS * COLS];
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < COLS; j++) {
                double v = rnd.nextGaussian() * (r % 3 == 0 ? 0.02 : 1.3) * (rnd.nextInt(50) == 0 ? 8 : 1);
                if (r % 7 == 3) v = Math.abs(v);             // one-signed rows (mins of zero)
                if (r % 11 == 5 && j % 256 < 40) v = 0;       // zero stretches
                if (r == 9) v = 0.5;                          // a constant row
                if (r == 10) v = j < 512 ? 0 : v;             // a half-zero row
                x[r * COLS + j] = (float) v;
            }
        }
        float[] qw = new float[COLS];
        for (int j = 0; j < COLS; j++) qw[j] = (float) (Math.exp(rnd.nextGaussian() * 1.5) * (j % 97 == 0 ? 0 : 1));
        long rowBytes = type.bytesFor(COLS);
        byte[] ref = GgmlOracle.quantize(type.ggmlId, x, ROWS, COLS, null);
        byte[] refW = GgmlOracle.quantize(type.ggmlId, x, ROWS, COLS, qw);
        byte[] mine = new byte[(int) (rowBytes * ROWS)], mineW = new byte[mine.length];
        BlockCodecs.encoder(type).encode(x, 0, MemorySegment.ofArray(mine), 0, ROWS * COLS);
        for (int r = 0; r < ROWS; r++) {
            float[] row = java.util.Arrays.copyOfRange(x, r * COLS, (r + 1) * COLS);
            ImatrixEncoder.encodeRow(type, row, qw, MemorySegment.ofArray(mineW), r * rowBytes);
        }
        assertEquals(firstDiff(ref, mine, rowBytes), "", name + " without importance");
        assertEquals(firstDiff(refW, mineW, rowBytes), "", name + " with importance");
    }

    static String firstDiff(byte[] a, byte[] b, long rowBytes) {
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return "byte " + i + " (row " + i / rowBytes + ", byte " + i % rowBytes + "): " + a[i] + " vs " + b[i];
        return "";
    }
}
