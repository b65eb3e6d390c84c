package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WorkerPoolTest {
    /** Part counts change every step, so a worker late from one step races the next one's publication. */
    @Test
    @Timeout(120) // the lost-part bug this guards against shows as a hang
    void everyPartRunsOncePerStepOnAValidWorker() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int step = 0; step < 50_000; step++) {
                int n = 1 + step % 17;
                AtomicIntegerArray runs = new AtomicIntegerArray(n);
                pool.run((p, parts, w) -> {
                    assertEquals(n, parts);
                    assertTrue(w >= 0 && w < 3, "worker " + w);
                    runs.incrementAndGet(p);
                }, n);
                int[] got = new int[n], want = new int[n];
                for (int i = 0; i < n; i++) {
                    got[i] = runs.get(i);
                    want[i] = 1;
                }
                assertArrayEquals(want, got, "step " + step);
            }
        }
    }

    @Test
    void aPartsFailureIsRethrownAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((p, n, w) -> {
                if (p == 5) throw new IllegalStateException("part 5");
            }, 8));
            assertEquals("part 5", e.getMessage());
            int[] sum = new int[1];
            pool.run((p, n, w) -> {
                synchronized (sum) {
                    sum[0] += p;
                }
            }, 8);
            assertEquals(28, sum[0]);
        }
    }

    @Test
    void sharesCoverTheRangeInWholeTiles() {
        WorkerPool one = new WorkerPool(1), two = new WorkerPool(2);
        assertEquals(1, one.parts(576, 4));
        assertEquals(16, two.parts(576, 4));
        assertEquals(2, two.parts(5, 4));
        int total = 578, n = two.parts(total, 4), covered = 0;
        for (int p = 0; p < n; p++) {
            int a = WorkerPool.from(total, p, n, 4), b = WorkerPool.from(total, p + 1, n, 4);
            assertEquals(covered, a);
            if (b < total) assertEquals(0, (b - a) % 4);
            covered = b;
        }
        assertEquals(total, covered);
        one.close();
        two.close();
    }
}
