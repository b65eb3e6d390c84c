package org.slim4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.tensor.DType;

/** Importance-weighted ggml quantizers against the reference ones, on random rows with a skewed importance. */
class ImatrixEncoderTest {
    static final int COLS = 512, ROWS = 64;

    static double[] errors(DType type, float[][] rows, float[] qw, float[] measure) {
        double weighted = 0, reference = 0;
        long rb = type.bytesFor(COLS);
        MemorySegment a = MemorySegment.ofArray(new byte[(int) rb]), b = MemorySegment.ofArray(new byte[(int) rb]);
        float[] qa = new float[COLS], qb = new float[COLS];
        for (float[] x : rows) {
            ImatrixEncoder.encodeRow(type, x, qw, a, 0);
            BlockCodecs.encoder(type).encode(x, 0, b, 0, COLS);
            BlockCodecs.of(type).decode(a, 0, qa, 0, COLS);
            BlockCodecs.of(type).decode(b, 0, qb, 0, COLS);
            for (int j = 0; j < COLS; j++) {
                weighted += measure[j] * (x[j] - qa[j]) * (x[j] - qa[j]);
                reference += measure[j] * (x[j] - qb[j]) * (x[j] - qb[j]);
            }
        }
        return new double[] {weighted, reference};
    }

    static float[][] rows(Random rnd) {
        float[][] r = new float[ROWS][COLS];
        for (float[] row : r) for (int j = 0; j < COLS; j++) row[j] = (float) (rnd.nextGaussian() * (j % 32 == 5 ? 4 : 1));
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q6_K"})
    void importanceLowersTheImportanceWeightedError(String name) {
        DType type = DType.valueOf(name);
        Random rnd = new Random(5);
        float[] qw = new float[COLS];
        for (int j = 0; j < COLS; j++) qw[j] = (float) Math.exp(2 * rnd.nextGaussian()); // log-normal: a few columns matter a lot
        double[] e = errors(type, rows(rnd), qw, qw);
        System.out.printf("%s: sum qw (x - q)^2 with imatrix %.4f, without %.4f%n", name, e[0], e[1]);
        assertTrue(e[0] < 0.9 * e[1], name + ": " + e[0] + " vs " + e[1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q6_K"})
    void uniformImportanceStaysCloseToTheReference(String name) {
        DType type = DType.valueOf(name);
        float[] ones = new float[COLS];
        java.util.Arrays.fill(ones, 1f);
        double[] e = errors(type, rows(new Random(9)), ones, ones);
        System.out.printf("%s uniform: squared error with imatrix %.4f, reference %.4f%n", name, e[0], e[1]);
        // Q4_0's reference rounds to the block max; the weighted search may do better but never much worse
        assertTrue(e[0] < 1.1 * e[1], name + ": " + e[0] + " vs " + e[1]);
        assertTrue(e[0] > 0.5 * e[1], name + ": suspiciously small error " + e[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_K", "IQ2_XXS"})
    void unimplementedTypesAreRefused(String name) {
        float[] x = new float[256];
        assertThrows(UnsupportedOperationException.class, () -> ImatrixEncoder.encodeRow(DType.valueOf(name), x, x, MemorySegment.ofArray(new byte[1024]), 0));
    }
}
