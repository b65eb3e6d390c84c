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
        return sb.append(problem).toString();
    }
}
