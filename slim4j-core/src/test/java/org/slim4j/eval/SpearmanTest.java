package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SpearmanTest {

    @Test
    void tiesGetAverageRanksAndRhoIsPearsonOfRanks() {
        double[] x = {1, 2, 2, 3, 5}, y = {2, 1, 4, 4, 5};
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4, 5}, Spearman.ranks(x));
        assertArrayEquals(new double[] {2, 1, 3.5, 3.5, 5}, Spearman.ranks(y));
        // by hand: rank deviations from 3 are (-2,-.5,-.5,1,2) and (-1,-2,.5,.5,2): 7.25 / sqrt(9.5 * 9.5)
        assertEquals(7.25 / 9.5, Spearman.rho(x, y), 1e-12);
        assertEquals(100 * 7.25 / 9.5, Spearman.times100(x, y), 1e-10);
    }

    @Test
    void withoutTiesEqualsTheTextbookFormula() {
        double[] x = {10, 20, 30, 40, 50}, y = {3, 1, 2, 5, 4};
        // 1 - 6 sum d^2 / (n (n^2 - 1)), d = (-2, 1, 1, -1, 1)
        assertEquals(1 - 6.0 * 8 / (5 * 24), Spearman.rho(x, y), 1e-12);
        assertEquals(-1, Spearman.rho(x, new double[] {5, 4, 3, 2, 1}), 1e-12);
    }
}
