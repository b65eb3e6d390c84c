package org.slim4j.tokenizer;

import java.util.Arrays;

/**
 * Token ids in, text out as it becomes final: the incremental detokenizer of streaming servers. Decoding one token at a
 * time is wrong twice over: a character split across byte-level tokens decodes to U+FFFD until its last byte arrives,
 * and SentencePiece drops the leading space of a text's first word. So each step decodes a short window twice, from a
 * prefix offset to the last emitted token and to the newest one, and emits the difference once it does not end in an
 * incomplete character. Each step costs two decodes of a few tokens, not of the whole continuation.
 */
public final class TextStream {
    private static final int CONTEXT = 5;

    private final Tokenizer tokenizer;
    private int[] ids;
    private int size;
    private int prefixOffset;
    private int readOffset;

    /** A stream that continues {@code context} (e.g. the prompt's last tokens, so the first word keeps its space). */
    public TextStream(Tokenizer tokenizer, int[] context) {
        this.tokenizer = tokenizer;
        int keep = Math.min(CONTEXT, context.length);
        this.ids = Arrays.copyOfRange(context, context.length - keep, context.length + 16);
        this.size = keep;
        this.prefixOffset = 0;
        this.readOffset = keep;
    }

    /** Adds a token; returns the text that became final with it (often "", while a character is incomplete). */
    public String push(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, 2 * ids.length);
        ids[size++] = id;
        String out = newText();
        if (out.isEmpty() || out.endsWith("\uFFFD")) return "";
        prefixOffset = readOffset;
        readOffset = size;
        if (prefixOffset > 64) compact();
        return out;
    }

    /** The text still held back at the end (an incomplete character), decoded as it is. */
    public String flush() {
        String out = newText();
        readOffset = size;
        return out;
    }

    /** What the tokens after the last emitted one add to the text, "" when they add nothing yet. */
    private String newText() {
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String all = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        return all.length() > prefix.length() && all.startsWith(prefix) ? all.substring(prefix.length()) : "";
    }

    private void compact() {
        ids = Arrays.copyOfRange(ids, prefixOffset, prefixOffset + Math.max(ids.length - prefixOffset, 16));
        size -= prefixOffset;
        readOffset -= prefixOffset;
        prefixOffset = 0;
    }
}
