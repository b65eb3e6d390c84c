package org.slim4j.tensor.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run one job at a time, made for the hundreds of small parallel steps of a decoded
 * token: a step costs a few atomic operations and unparks, no allocation and no task queue. A step is cut into
 * parts that threads claim one at a time, so the caller never waits for a worker that the OS has descheduled
 * (on a shared machine a fixed share per thread made 2 threads slower than 1: every step waited for the slowest);
 * it only waits for parts already claimed. Workers spin briefly between steps (steps come microseconds apart),
 * then park, so an idle pool costs no CPU. The calling thread is worker 0.
 */
public final class WorkerPool implements AutoCloseable {
    /** One parallel step: part {@code part} of {@code parts}, run by worker {@code worker} (for per-worker scratch). */
    public interface Job {
        void run(int part, int parts, int worker);
    }

    // a worker spins this long between steps before parking; the caller waiting on claimed parts yields sooner
    private static final int SPINS = 20_000, WAIT_SPINS = 2_000;

    private static final int MAX_PARTS = 0xFFFF;

    private final int size;
    private final Thread[] threads;
    // generation << 32 | parts << 16 | next unclaimed part, in one word: a claim is a CAS that also checks the step
    // is still the current one, and the part count comes from the same read (a separate field could already hold
    // the next step's count and let a late worker claim a part that does not exist)
    private final AtomicLong claim = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private volatile Job job;
    private volatile boolean closed;
    private volatile Throwable failure;

    public WorkerPool(int size) {
        if (size < 1) throw new IllegalArgumentException("a pool needs at least one thread, got " + size);
        this.size = size;
        this.threads = new Thread[size - 1];
        for (int i = 0; i < threads.length; i++) {
            int w = i + 1;
            threads[i] = Thread.ofPlatform().daemon().name("slim4j-worker-" + w).start(() -> loop(w));
        }
    }

    /** All cores when {@code threads <= 0}. */
    public static WorkerPool of(int threads) {
        return new WorkerPool(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    }

    public int size() {
        return size;
    }

    /** Runs parts [0, n) of {@code j} over the workers and returns when all are done; rethrows a part's failure. */
    public void run(Job j, int n) {
        if (closed) throw new IllegalStateException("worker pool closed");
        if (size == 1 || n == 1) {
            for (int p = 0; p < n; p++) j.run(p, n, 0);
            return;
        }
        if (n > MAX_PARTS) throw new IllegalArgumentException(n + " parts, at most " + MAX_PARTS);
        job = j;
        done.set(0);
        long gen = (claim.get() >>> 32) + 1;
        claim.set(gen << 32 | (long) n << 16); // publishes job and done to any worker whose claim sees this generation
        for (Thread t : threads) LockSupport.unpark(t);
        work(gen, 0);
        for (int spins = 0; done.get() != n; spins++) {
            if (spins < WAIT_SPINS) Thread.onSpinWait();
            else Thread.yield(); // a claimed part's worker was descheduled (shared cores): let it run
        }
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /** Claims and runs parts of generation {@code gen} until none is left. */
    private void work(long gen, int w) {
        while (true) {
            long c = claim.get();
            if (c >>> 32 != gen) return;
            int p = (int) (c & 0xFFFF), n = (int) (c >>> 16) & 0xFFFF;
            if (p >= n) return;
            if (!claim.compareAndSet(c, c + 1)) continue;
            try {
                job.run(p, n, w);
            } catch (Throwable t) {
                failure = t;
            } finally {
                done.incrementAndGet();
            }
        }
    }

    private void loop(int w) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long gen;
            while ((gen = claim.get() >>> 32) == seen) {
                if (closed) return;
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.parkNanos(1_000_000);
            }
            seen = gen;
            work(gen, w);
        }
    }

    /** Parts for {@code total} units in whole {@code align}-unit tiles: several per thread so a late thread costs little. */
    public int parts(int total, int align) {
        int tiles = (total + align - 1) / align;
        return Math.max(1, Math.min(tiles, size == 1 ? 1 : 8 * size));
    }

    /** First index of part p's share of [0, total), shares rounded up to {@code align} so tiles stay whole. */
    public static int from(int total, int p, int n, int align) {
        int chunk = ((total + n - 1) / n + align - 1) / align * align;
        return Math.min(total, p * chunk);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) LockSupport.unpark(t);
    }
}
