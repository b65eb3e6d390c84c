package org.slim4j.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes go to a temp file beside the target, forced to disk and renamed into place only when complete: a failure
 * never leaves a half-written output, and a reader never sees one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public interface Writer {
        void write(Path tmp) throws IOException;
    }

    public interface ChannelWriter {
        void write(FileChannel ch) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = TempFiles.track(Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp"));
        try {
            // createTempFile makes it owner-only; an output file should get the usual permissions
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            writer.write(tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
            TempFiles.release(tmp);
        }
    }

    /**
     * Fails fast, before hours of work, when {@code target} cannot be written: its folder is made if missing and a
     * probe file created and removed there. A read-only or missing-permission folder is bad input naming the path.
     */
    public static void checkWritable(Path target, String flag) {
        Path parent = target.toAbsolutePath().normalize().getParent();
        try {
            Files.createDirectories(parent);
            Files.delete(Files.createTempFile(parent, ".slim4j-probe", ".tmp"));
        } catch (IOException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
            throw new BadInputException(target, flag, "cannot write in " + parent + " (" + why + ")");
        }
    }

    public interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    /**
     * A whole output folder: written into a temporary sibling, then renamed into place, so a reader or a re-run
     * never sees new weights beside an old config. An existing folder is first renamed aside and deleted once the new
     * one is in; an interruption between the two renames leaves both complete folders, never a mixed one.
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw new BadInputException(target, "-o", "exists and is not a folder");
        Path tmp = TempFiles.track(Files.createTempDirectory(parent, "." + abs.getFileName() + ".tmp"));
        try {
            writer.write(tmp);
            if (!Files.exists(abs)) {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                return;
            }
            Path old = Files.createTempDirectory(parent, "." + abs.getFileName() + ".old");
            Files.delete(old);
            Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.move(old, abs, StandardCopyOption.ATOMIC_MOVE); // the earlier output back in place
                throw e;
            }
            deleteTree(old);
        } finally {
            TempFiles.delete(tmp); // gone already when it was renamed into place
        }
    }

    /** Deletes a temporary folder and everything in it; a folder that is already gone is fine. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("removing " + dir, e);
        }
    }

    /** The same, for writers that stream into a channel; the data is forced to disk before the rename. */
    public static void writeChannel(Path target, ChannelWriter writer) throws IOException {
        write(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
        });
    }
}
