package org.slim4j.compress.calib;

/**
 * One tensor's compression, as reports list it.
 *
 * @param relError ||WX - QX|| / ||WX|| over the calibration inputs (from their Gram matrix); for tensors without
 *                 inputs (embeddings) the relative weight error ||W - Q|| / ||W||
 */
public record LayerResult(String name, int rows, int cols, String method, long storageBits, double relError, double seconds) {
    public double bitsPerWeight() {
        return (double) storageBits / ((long) rows * cols);
    }
}
