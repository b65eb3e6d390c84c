package org.slim4j.io.compressed;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Packed ints worked out by hand from compressed-tensors' pack_to_int32 (offset to unsigned, first value lowest). */
class PackInt32Test {

    @Test
    void docstringExampleEightBits() {
        // pack_to_int32's own example: [1, 2] at 8 bits -> [129, 130, 0, 0] -> 0x00008281 = 33409
        assertArrayEquals(new int[] {33409}, PackInt32.packRows(new int[] {1, 2}, 1, 2, 8));
    }

    @Test
    void fourBitsFirstValueInLowestNibble() {
        // -8..-1 and 0..7 -> unsigned 0..15; the first int holds 0..7 -> nibbles 0,1,..,7 from the bottom
        int[] q = {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(new int[] {0x76543210, 0xFEDCBA98}, PackInt32.packRows(q, 1, 16, 4));
    }

    @Test
    void shortRowIsPaddedWithUnsignedZeros() {
        // [-8, 7, 0] -> [0, 15, 8] then 5 zero nibbles: 0x000008F0
        assertArrayEquals(new int[] {0x8F0}, PackInt32.packRows(new int[] {-8, 7, 0}, 1, 3, 4));
        assertArrayEquals(new int[] {-8, 7, 0}, PackInt32.unpackRows(new int[] {0x8F0}, 1, 3, 4));
    }

    @Test
    void zeroPointsPackAlongTheOutputDimension() {
        // 9 rows, 2 columns at 4 bits -> [2, 2]: column 0 rows 0..7 = 1 -> unsigned 9 in every nibble; row 8 alone
        int[] zp = new int[18];
        for (int r = 0; r < 9; r++) {
            zp[r * 2] = 1;
            zp[r * 2 + 1] = r - 8;
        }
        int[] p = PackInt32.packColumns(zp, 9, 2, 4);
        assertEquals(0x99999999, p[0]);
        assertEquals(0x76543210, p[1]);
        assertEquals(9, p[2]);
        assertEquals(8, p[3]);
        assertArrayEquals(zp, PackInt32.unpackColumns(p, 9, 2, 4));
    }

    @Test
    void roundTripsEveryWidth() {
        Random rnd = new Random(1);
        for (int bits = 2; bits <= 8; bits++) {
            int rows = 5, cols = 37;
            int[] q = new int[rows * cols];
            for (int i = 0; i < q.length; i++) q[i] = rnd.nextInt(1 << bits) - (1 << (bits - 1));
            assertArrayEquals(q, PackInt32.unpackRows(PackInt32.packRows(q, rows, cols, bits), rows, cols, bits), "bits " + bits);
            assertArrayEquals(q, PackInt32.unpackColumns(PackInt32.packColumns(q, rows, cols, bits), rows, cols, bits), "bits " + bits);
        }
    }
}
