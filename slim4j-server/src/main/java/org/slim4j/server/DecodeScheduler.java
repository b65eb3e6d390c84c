package org.slim4j.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slim4j.model.Generation;
import org.slim4j.model.GenerationOptions;
import org.slim4j.model.llama.Decoder;
import org.slim4j.model.llama.GenerationRun;

/**
 * Generation requests on one decoder, served fairly: up to {@code parallel} requests are active and take turns one
 * token each (round robin), later ones wait first in, first out. One thread steps every run, so the model's worker
 * pool serves one step at a time; text goes to each request's own queue, and the request's thread writes it to its
 * client, so a slow client never holds up the others. A request whose client went away is dropped at its next turn.
 */
final class DecodeScheduler implements AutoCloseable {
    /** What a request's thread reads: text pieces, then the result (or the failure). */
    sealed interface Event permits Text, Done, Failed {}

    record Text(String text) implements Event {}

    record Done(Generation generation) implements Event {}

    record Failed(RuntimeException error) implements Event {}

    /** A request in the scheduler; {@link #cancel()} when its client has gone. */
    static final class Ticket {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final int[] prompt;
        final GenerationOptions options;
        volatile boolean cancelled;
        GenerationRun run;

        Ticket(int[] prompt, GenerationOptions options) {
            this.prompt = prompt;
            this.options = options;
        }

        void cancel() {
            cancelled = true;
        }

        Event next() throws InterruptedException {
            return events.take();
        }
    }

    private final Decoder model;
    private final int parallel;
    private final LinkedBlockingQueue<Ticket> waiting = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean closed;
    private volatile int active;

    DecodeScheduler(Decoder model, int parallel, String name) {
        this.model = model;
        this.parallel = parallel;
        this.worker = Thread.ofPlatform().daemon().name("slim4j-decode-" + name).start(this::loop);
    }

    Ticket submit(int[] prompt, GenerationOptions options) {
        if (closed) throw new IllegalStateException("the server is stopping");
        Ticket t = new Ticket(prompt, options);
        waiting.add(t);
        return t;
    }

    int waiting() {
        return waiting.size();
    }

    int active() {
        return active;
    }

    private void loop() {
        ArrayDeque<Ticket> turns = new ArrayDeque<>();
        while (!closed) {
            try {
                if (turns.isEmpty()) {
                    Ticket t = waiting.poll(100, TimeUnit.MILLISECONDS);
                    if (t != null) admit(t, turns);
                }
                while (turns.size() < parallel) {
                    Ticket t = waiting.poll();
                    if (t == null) break;
                    admit(t, turns);
                }
                active = turns.size();
                Ticket t = turns.poll();
                if (t == null) continue;
                if (step(t)) turns.add(t);
            } catch (InterruptedException e) {
                break;
            }
        }
        List<Ticket> left = new ArrayList<>(turns);
        waiting.drainTo(left);
        for (Ticket t : left) t.events.add(new Failed(new IllegalStateException("the server is stopping")));
    }

    private void admit(Ticket t, ArrayDeque<Ticket> turns) {
        if (t.cancelled) return;
        try {
            t.run = new GenerationRun(model, t.prompt, t.options, text -> t.events.add(new Text(text)));
            turns.add(t);
        } catch (RuntimeException e) {
            t.events.add(new Failed(e));
        }
    }

    /** One token of {@code t}; false when it is finished (its last event sent). */
    private boolean step(Ticket t) {
        if (t.cancelled) return false;
        try {
            if (t.run.step()) return true;
            t.events.add(new Done(t.run.result()));
        } catch (RuntimeException | OutOfMemoryError e) {
            t.events.add(new Failed(e instanceof RuntimeException r ? r : new IllegalStateException("out of memory: " + e.getMessage())));
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
