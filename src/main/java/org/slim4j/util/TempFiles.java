package org.slim4j.util;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary files and folders beside an output, removed by a shutdown hook when the JVM stops (Ctrl-C, SIGTERM)
 * before their owner has renamed or deleted them: an interrupted run leaves no {@code .out.N.tmp} behind.
 */
public final class TempFiles {
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : LIVE) {
                try {
                    AtomicFiles.deleteTree(p);
                } catch (RuntimeException e) { // the JVM is going: remove what can be removed
                }
            }
        }, "slim4j-temp-cleanup"));
    }

    private TempFiles() {}

    /** Removes {@code p} at shutdown unless {@link #release released} first; returns it. */
    public static Path track(Path p) {
        LIVE.add(p.toAbsolutePath());
        return p;
    }

    /** {@code p} was renamed into place or deleted by its owner. */
    public static void release(Path p) {
        LIVE.remove(p.toAbsolutePath());
    }

    /** Deletes {@code p} (a file or a folder tree) and forgets it. */
    public static void delete(Path p) {
        try {
            AtomicFiles.deleteTree(p);
        } finally {
            release(p);
        }
    }
}
