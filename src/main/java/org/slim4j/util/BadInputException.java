package org.slim4j.util;

import java.nio.file.Path;

/**
 * Input that slim4j cannot use: a truncated or lying file, an unknown architecture, a shape mismatch, a bad flag.
 * The message is one line naming the file and the field; the CLI prints it and exits with code 2.
 */
public class BadInputException extends RuntimeException {
    private final String source;
    private final String field;

    public BadInputException(Path file, String field, String problem) {
        this(file == null ? null : file.toString(), field, problem, null);
    }

    public BadInputException(String source, String field, String problem) {
        this(source, field, problem, null);
    }

    public BadInputException(String source, String field, String problem, Throwable cause) {
        super(format(source, field, problem), cause);
        this.source = source;
        this.field = field;
    }

    public String source() {
        return source;
    }

    public String field() {
        return field;
    }

    private static String format(String source, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        if (source != null) sb.append(source).append(": ");
        if (field != null) sb.append(field).append(": ");
        return printable(sb.append(problem).toString());
    }

    /**
     * The text with control characters (C0, DEL, C1, line and paragraph separators) written as {@code \xNN} (or a
     * backslash, u and four hex digits): names and values quoted from a corrupted file must not break the one-line message or drive
     * the terminal.
     */
    public static String printable(String s) {
        if (s == null) return null;
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean control = ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || ch == '\u2028' || ch == '\u2029';
            if (control && sb == null) sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (sb == null) continue;
            if (!control) sb.append(ch);
            else if (ch < 0x100) sb.append(String.format("\\x%02x", (int) ch));
            else sb.append(String.format("\\u%04x", (int) ch));
        }
        return sb == null ? s : sb.toString();
    }
}
