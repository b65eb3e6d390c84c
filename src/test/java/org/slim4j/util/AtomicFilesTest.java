package org.slim4j.util;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: outputs never half-replaced, earlier outputs never lost, no temp files left by an interrupted run. */
class AtomicFilesTest {

    @Test
    void aFolderIsReplacedWholeNeverMixed(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        AtomicFiles.writeFolder(out, d -> {
            Files.writeString(d.resolve("config.json"), "old");
            Files.writeString(d.resolve("stale.bin"), "old");
        });
        AtomicFiles.writeFolder(out, d -> Files.writeString(d.resolve("config.json"), "new"));
        assertEquals("new", Files.readString(out.resolve("config.json")));
        assertFalse(Files.exists(out.resolve("stale.bin")), "nothing of the earlier output beside the new one");
        assertEquals(List.of(out), Files.list(dir).toList(), "no temp siblings left");
    }

    @Test
    void aFailedWriteKeepsTheEarlierOutput(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        AtomicFiles.writeFolder(out, d -> Files.writeString(d.resolve("config.json"), "old"));
        assertThrows(IOException.class, () -> AtomicFiles.writeFolder(out, d -> {
            Files.writeString(d.resolve("config.json"), "half");
            throw new IOException("No space left on device");
        }));
        assertEquals("old", Files.readString(out.resolve("config.json")));
        assertEquals(List.of(out), Files.list(dir).toList(), "no temp siblings left");
    }

    @Test
    void anUnwritableFolderIsBadInputNamingIt(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicFiles.checkWritable(file.resolve("out"), "-o"));
        assertTrue(e.getMessage().contains("cannot write in " + file), e.getMessage());
    }

    /** SIGTERM (what Ctrl-C's SIGINT also does to a JVM) runs the shutdown hook that removes tracked temp files. */
    @Tag("slow")
    @Test
    void tempFilesAreRemovedWhenTheJvmIsTerminated(@TempDir Path dir) throws Exception {
        Path tmp = dir.resolve(".out.safetensors.123.tmp");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Child.class.getName(), tmp.toString()).redirectErrorStream(true).start();
        assertEquals("ready", new String(p.getInputStream().readNBytes(5)));
        assertTrue(Files.exists(tmp));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(tmp), "the hook removed the temp file");
    }

    static final class Child {
        public static void main(String[] args) throws Exception {
            TempFiles.track(Files.writeString(Path.of(args[0]), "partial"));
            System.out.print("ready");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
