package org.slim4j.util;

import java.io.PrintStream;
import java.util.Locale;

/** Progress of long work on stderr: "label 3/16 (18.8%) 2.1s elapsed, ~9.0s left [detail]". Quiet when disabled. */
public final class Progress {
    private static volatile boolean enabled = true;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private final PrintStream out = System.err;

    public Progress(String label, long total) {
        this.label = label;
        this.total = total;
    }

    public static void setEnabled(boolean on) {
        enabled = on;
    }

    public void step(long done, String detail) {
        if (!enabled) return;
        double secs = (System.nanoTime() - start) / 1e9;
        double left = done > 0 ? secs / done * (total - done) : Double.NaN;
        out.printf(Locale.ROOT, "%s %d/%d (%.1f%%) %.1fs elapsed, ~%.1fs left%s%n", label, done, total,
                100.0 * done / Math.max(1, total), secs, left, detail == null || detail.isEmpty() ? "" : "  " + detail);
    }
}
