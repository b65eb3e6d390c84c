package org.slim4j.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run one job at a time, each worker taking its share by index. Made for the
 * hundreds of small parallel steps of a decoded token: a step costs a volatile write and a few unparks, no
 * allocation and no task queue. Workers spin briefly between steps (steps come microseconds apart), then park,
 * so an idle pool costs no CPU. The calling thread is worker 0.
 */
public final class WorkerPool implements AutoCloseable {
    /** One parallel step: worker {@code w} of {@code n} does its share. */
    public interface Job {
        void run(int w, int n);
    }

    private static final int SPINS = 2_000;

    private final int size;
    private final Thread[] threads;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Job job;
    private volatile long generation;
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

    /** Runs {@code j} on every worker and returns when all are done; rethrows a worker's failure. */
    public void run(Job j) {
        if (closed) throw new IllegalStateException("worker pool closed");
        if (size == 1) {
            j.run(0, 1);
            return;
        }
        job = j;
        pending.set(size - 1);
        generation = generation + 1;
        for (Thread t : threads) LockSupport.unpark(t);
        try {
            j.run(0, size);
        } finally {
            for (int spins = 0; pending.get() != 0; spins++) {
                if (spins < SPINS) Thread.onSpinWait();
                else Thread.yield(); // a worker was descheduled (shared cores): let it run
            }
        }
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    private void loop(int w) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen) {
                if (closed) return;
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.parkNanos(1_000_000);
            }
            seen = generation;
            try {
                job.run(w, size);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** First index of worker w's share of [0, total), shares rounded up to {@code align} so tiles stay whole. */
    public static int from(int total, int w, int n, int align) {
        int chunk = ((total + n - 1) / n + align - 1) / align * align;
        return Math.min(total, w * chunk);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) LockSupport.unpark(t);
    }
}
