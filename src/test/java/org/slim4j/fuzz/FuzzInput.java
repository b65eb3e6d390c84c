package org.slim4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;

/**
 * What every fuzz target shares: the input written where a reader expects a file, and the one outcome allowed
 * besides success, a {@link BadInputException} whose message is one printable line. Anything else (another
 * exception, an Error such as OutOfMemoryError, a hang) propagates and is a finding.
 */
final class FuzzInput {
    private static final Path DIR = tempDir();

    private FuzzInput() {}

    /** In /dev/shm where there is one: on the shared machines a disk folder stalled open() for over a minute at times. */
    private static Path tempDir() {
        try {
            Path shm = Path.of("/dev/shm");
            Path d = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "slim4j-fuzz") : Files.createTempDirectory("slim4j-fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> AtomicFiles.deleteTree(d)));
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes as a file of this name (rewritten for each input; readers must have closed the last one). */
    static Path file(String name, byte[] data) {
        return write(DIR.resolve(name), data);
    }

    /** A folder of this name, emptied, for inputs that are folders. */
    static Path folder(String name) {
        Path d = DIR.resolve(name);
        AtomicFiles.deleteTree(d);
        try {
            return Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path p, byte[] data) {
        try {
            return Files.write(p, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a read; a BadInputException is the expected failure and must read as one printable line. */
    static void read(Runnable reader) {
        try {
            reader.run();
        } catch (BadInputException e) {
            String m = e.getMessage();
            if (m == null || m.isEmpty() || !m.equals(BadInputException.printable(m))) {
                throw new AssertionError("not one printable line: " + BadInputException.printable(String.valueOf(m)), e);
            }
        }
    }

    /** Splits an input into two parts: a 2-byte little-endian length, that many bytes, then the rest. */
    static byte[][] split(byte[] data) {
        if (data.length < 2) return new byte[][] {new byte[0], data};
        int n = Math.min((data[0] & 0xff) | (data[1] & 0xff) << 8, data.length - 2);
        return new byte[][] {java.util.Arrays.copyOfRange(data, 2, 2 + n), java.util.Arrays.copyOfRange(data, 2 + n, data.length)};
    }

    /** The inverse of {@link #split}, for seeds. */
    static byte[] join(byte[] first, byte[] rest) {
        if (first.length > 0xffff) throw new IllegalArgumentException("first part over 64 KiB");
        byte[] out = new byte[2 + first.length + rest.length];
        out[0] = (byte) first.length;
        out[1] = (byte) (first.length >>> 8);
        System.arraycopy(first, 0, out, 2, first.length);
        System.arraycopy(rest, 0, out, 2 + first.length, rest.length);
        return out;
    }
}
