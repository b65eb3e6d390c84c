package org.slim4j.model;

import java.util.List;

/**
 * OpenAI's {@code stop}: text passes through until one of the strings appears; that string and everything after it are
 * dropped. Text that could be the start of a stop string is held back until the next piece decides it, so a stream
 * never shows part of a stop string.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        this.stops = stops;
    }

    /** Adds generated text; returns what may be shown now. After a stop string, {@link #stopped()} is true. */
    public String push(String text) {
        if (stopped) return "";
        if (stops.isEmpty()) return text;
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String s : stops) hold = Math.max(hold, overlap(pending, s));
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** What was held back, at the end of generation (it did not become a stop string). */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    public boolean stopped() {
        return stopped;
    }

    /** The longest proper prefix of {@code s} that {@code text} ends with. */
    private static int overlap(CharSequence text, String s) {
        for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
            boolean match = true;
            for (int i = 0; i < k && match; i++) match = text.charAt(text.length() - k + i) == s.charAt(i);
            if (match) return k;
        }
        return 0;
    }
}
