package org.slim4j.tensor.kernel;

/**
 * The normalized Walsh-Hadamard transform of n floats in place (n a power of two): orthogonal and its own inverse,
 * so rotating both a query and a key leaves their dot product unchanged while the key's outlier channels are spread
 * over all of them, which is what a 4-bit block quantizer needs (QuaRot, Ashkboos et al. 2024, rotates the KV cache
 * the same way). n log n additions; a head of 64 takes 384 and 64 multiplies.
 */
public final class Hadamard {
    private Hadamard() {}

    public static boolean fits(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    public static void transform(float[] x, int off, int n) {
        for (int h = 1; h < n; h <<= 1) {
            for (int i = off; i < off + n; i += 2 * h) {
                for (int j = i; j < i + h; j++) {
                    float a = x[j], b = x[j + h];
                    x[j] = a + b;
                    x[j + h] = a - b;
                }
            }
        }
        float s = (float) (1 / Math.sqrt(n));
        for (int i = off; i < off + n; i++) x[i] *= s;
    }
}
