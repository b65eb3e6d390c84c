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
    private Threads() {}

    public static <T> T run(int threads, Callable<T> work) throws Exception {
        if (threads <= 0) return work.call();
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
