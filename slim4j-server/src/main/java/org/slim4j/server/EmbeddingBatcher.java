package org.slim4j.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slim4j.model.Encoder;

/**
 * Requests from many clients embedded together: one thread per encoder takes every request waiting (up to
 * {@code maxBatch} texts, and what arrives within a millisecond of the first), runs them as one batch of the encoder and
 * hands each request its rows. An encoder runs a batch of 32 sentences several times faster per sentence than 32 calls
 * of one, and only one thread ever calls it.
 */
final class EmbeddingBatcher implements AutoCloseable {
    private record Job(List<String> texts, CompletableFuture<float[][]> result) {}

    private final Encoder encoder;
    private final int maxBatch;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean closed;
    private long batches, texts;

    EmbeddingBatcher(Encoder encoder, int maxBatch, String name) {
        this.encoder = encoder;
        this.maxBatch = maxBatch;
        this.worker = Thread.ofPlatform().daemon().name("slim4j-embed-" + name).start(this::loop);
    }

    CompletableFuture<float[][]> submit(List<String> texts) {
        if (closed) return CompletableFuture.failedFuture(new IllegalStateException("the server is stopping"));
        CompletableFuture<float[][]> f = new CompletableFuture<>();
        queue.add(new Job(texts, f));
        return f;
    }

    /** Batches run and texts embedded so far (for /health and the load test). */
    synchronized long[] counts() {
        return new long[] {batches, texts};
    }

    private void loop() {
        List<Job> jobs = new ArrayList<>();
        while (!closed) {
            try {
                Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                jobs.add(first);
                int n = first.texts().size();
                long deadline = System.nanoTime() + 1_000_000;
                while (n < maxBatch) {
                    Job next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (next == null) break;
                    jobs.add(next);
                    n += next.texts().size();
                }
                run(jobs, n);
            } catch (InterruptedException e) {
                return;
            } finally {
                jobs.clear();
            }
        }
    }

    private void run(List<Job> jobs, int n) {
        List<String> all = new ArrayList<>(n);
        for (Job j : jobs) all.addAll(j.texts());
        try {
            float[][] rows = encoder.embed(all);
            synchronized (this) {
                batches++;
                texts += n;
            }
            int at = 0;
            for (Job j : jobs) {
                float[][] mine = new float[j.texts().size()][];
                System.arraycopy(rows, at, mine, 0, mine.length);
                at += mine.length;
                j.result().complete(mine);
            }
        } catch (RuntimeException | Error e) {
            for (Job j : jobs) j.result().completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        for (Job j; (j = queue.poll()) != null; ) j.result().completeExceptionally(new IllegalStateException("the server is stopping"));
    }
}
