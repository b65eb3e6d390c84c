package org.slim4j.tensor.quant;

/** The inner step of the sign-grid i-quants: 8 values db * grid[j], negated where bit j of signs is set. */
final class IqSigns {
    private IqSigns() {}

    static void put(float[] y, int o, float db, long grid, int signs) {
        for (int j = 0; j < 8; j++) y[o + j] = db * IqGrids.u8(grid, j) * ((signs & (1 << j)) != 0 ? -1.f : 1.f);
    }

    /** Two 4-value grid points (IQ3): grid1 gives values 0..3, grid2 values 4..7. */
    static void put(float[] y, int o, float db, int grid1, int grid2, int signs) {
        for (int j = 0; j < 4; j++) {
            y[o + j] = db * IqGrids.u8(grid1, j) * ((signs & (1 << j)) != 0 ? -1.f : 1.f);
            y[o + j + 4] = db * IqGrids.u8(grid2, j) * ((signs & (1 << (j + 4))) != 0 ? -1.f : 1.f);
        }
    }
}
