package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.util.BadInputException;

/** Issue 16: lengths that lie about what the file can hold, and keys whose bytes would break a one-line message. */
class GgufLyingLengthsTest {

    /** A uint8 array of 2^31 elements (more than a Java array holds) in a sparse file large enough to pass the size check. */
    @Test
    void arrayLongerThanAJavaArrayIsRefusedBeforeAllocating(@TempDir Path dir) throws IOException {
        long n = 1L << 31;
        byte[] head = new RawGguf().header(3, 0, 1).str("big").u32(9).u32(0).u64(n).bytes();
        Path f = dir.resolve("big.gguf");
        Files.write(f, head);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(head.length + n + 64); // sparse: no disk, no memory
        }
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(f).close());
        assertTrue(e.getMessage().contains("metadata 'big'") && e.getMessage().contains("2147483648 elements"), e.getMessage());
    }

    /** Once had the element count wrap an int cast into a negative array size: 2^32 + 5 claimed with 5 bytes present. */
    @Test
    void countBeyondTheFileNamesTheFieldAndTheBytesLeft(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("lie.gguf");
        Files.write(f, new RawGguf().header(3, 0, 1).str("lie").u32(9).u32(0).u64((1L << 32) + 5).u8(1).u8(2).u8(3).u8(4).u8(5).bytes());
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(f).close());
        assertTrue(e.getMessage().contains("4294967301") && e.getMessage().contains("bytes left"), e.getMessage());
    }

    /** Numbers stay unboxed: a uint8 array of 32 Mi elements takes about its file size of heap, not four times it. */
    @Test
    void numericArraysAreHeldUnboxed(@TempDir Path dir) throws IOException {
        int n = 32 << 20;
        Path f = dir.resolve("bytes.gguf");
        RawGguf g = new RawGguf().header(3, 0, 1).str("bytes").u32(9).u32(0).u64(n);
        byte[] head = g.bytes();
        byte[] all = java.util.Arrays.copyOf(head, head.length + n);
        for (int i = 0; i < n; i++) all[head.length + i] = (byte) i;
        Files.write(f, all);
        all = null;
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        try (GgufFile file = GgufFile.open(f)) {
            GgufArray a = file.array("bytes");
            System.gc();
            long grew = rt.totalMemory() - rt.freeMemory() - before;
            assertEquals(n, a.size());
            assertEquals(255, a.longAt(255));
            assertEquals(7, a.get(n - 249));
            assertTrue(grew < 2L * n, "heap grew by " + (grew >> 20) + " MiB for a " + (n >> 20) + " MiB array");
        }
    }

    @Test
    void controlBytesOfACorruptKeyAreEscapedInTheMessage(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("ctl.gguf");
        Files.write(f, new RawGguf().header(3, 0, 1).str("k\u0000\n\u001b[31mred").u32(99).bytes());
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(f).close());
        String m = e.getMessage();
        assertTrue(m.contains("k\\x00\\x0a\\x1b[31mred"), m);
        assertTrue(m.chars().noneMatch(ch -> ch < 0x20), m);
    }

    /** Fuzzing found it: an empty tensor and a file that ends inside the padding before the data section. */
    @Test
    void aDataSectionPastTheEndOfTheFileIsRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("short.gguf");
        Files.write(f, new RawGguf().header(3, 1, 0).tensor("empty", new long[] {0}, 0, 0).bytes());
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(f).close());
        assertTrue(e.getMessage().contains("tensor data") && e.getMessage().contains("past the end"), e.getMessage());
    }

    /** Fuzzing found it: 2^62 F32 elements fit a long, their bytes do not; the size wrapped negative past the layout check. */
    @Test
    void aTensorWhoseByteSizeOverflowsIsRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("wrap.gguf");
        Files.write(f, new RawGguf().header(3, 1, 0).tensor("w", new long[] {1L << 62}, 0, 0).padTo(32).bytes());
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(f).close());
        assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("overflow"), e.getMessage());
    }
}
