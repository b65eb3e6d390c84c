package org.slim4j.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Text inputs (prompts, evaluation and calibration text, recipes, config and tokenizer JSON) read as UTF-8 or refused
 * in one line naming the file, the flag or field it came from and the first byte that is not UTF-8, where
 * {@code Files.readString} said only "Input length = 1" for a binary file.
 */
public final class TextFiles {
    /** Larger text inputs than this are not text slim4j reads (a String holds at most 2^31 chars). */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private TextFiles() {}

    public static String read(Path file, String field) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new BadInputException(file, field, "is a folder, not a text file");
            long size = Files.size(file);
            if (size > MAX_BYTES) throw new BadInputException(file, field, size + " bytes is more text than slim4j reads (" + MAX_BYTES + ")");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file, field, "no such file");
        } catch (AccessDeniedException e) {
            throw new BadInputException(file, field, "cannot read: permission denied");
        } catch (IOException e) {
            throw new BadInputException(file, field, "cannot read: " + e.getMessage());
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return utf8.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file, field, "not UTF-8 text (byte " + firstBad(bytes) + " is not valid UTF-8; a binary file?)");
        }
    }

    /** Non-blank lines. */
    public static List<String> lines(Path file, String field) {
        return read(file, field).lines().filter(s -> !s.isBlank()).toList();
    }

    private static long firstBad(byte[] b) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(8192);
        while (true) {
            var r = utf8.decode(in, out, true);
            if (r.isError()) return in.position();
            if (r.isUnderflow()) return b.length;
            out.clear();
        }
    }
}
