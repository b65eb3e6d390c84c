package org.slim4j.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;

/**
 * Runs work on a pool of n threads. The kernels split work with parallel streams, which run on the pool of the
 * task that starts them, so running the whole job inside a ForkJoinPool of n threads caps every kernel at n.
 */
public final class Threads {
    /** The most threads a job may ask for: more only adds overhead, and ForkJoinPool refuses 32768 and up. */
    public static final int MAX = 1024;

    private Threads() {}

    /** {@code n} once it is a thread count: 1..{@link #MAX}, or 0 for all cores. */
    public static int check(int n) {
        if (n < 0 || n > MAX) throw new BadInputException("--threads", null, n + " is not a thread count: give 1.." + MAX + ", or leave it out for all cores");
        return n;
    }

    /** Runs {@code work} on {@code threads} threads ({@link #check checked}; 0: the common pool, all cores). */
    public static <T> T run(int threads, Callable<T> work) throws Exception {
        if (check(threads) == 0) return work.call();
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return pool.submit(work).get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception ex) throw ex;
            if (c instanceof Error err) throw err;
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@link #run} for APIs that throw no checked exceptions: an IOException comes back as UncheckedIOException. */
    public static <T> T call(int threads, Callable<T> work) {
        try {
            return run(threads, work);
        } catch (RuntimeException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
