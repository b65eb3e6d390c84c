package org.slim4j.util;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Released pages of a read-only mapping read back the file's bytes; non-mapped memory is left alone. */
class MappedPagesTest {
    @Test
    void releasedPagesReadBackTheSameBytes(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.bin");
        byte[] bytes = new byte[5 * 4096 + 123];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 31 + 7);
        Files.write(f, bytes);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            long sum = 0;
            for (int i = 0; i < bytes.length; i++) sum += seg.get(ValueLayout.JAVA_BYTE, i); // make every page resident
            assertTrue(sum != 0);
            boolean linux = System.getProperty("os.name").toLowerCase().contains("linux");
            assertEquals(linux, MappedPages.release(seg.asSlice(100, bytes.length - 100)), "madvise on Linux, a no-op elsewhere");
            for (int i = 0; i < bytes.length; i++) assertEquals(bytes[i], seg.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            assertFalse(MappedPages.release(arena.allocate(8192)), "anonymous memory is not released");
            assertFalse(MappedPages.release(seg.asSlice(10, 100)), "less than a whole page");
        }
    }
}
