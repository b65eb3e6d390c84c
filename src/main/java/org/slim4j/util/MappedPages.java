package org.slim4j.util;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Gives a mapped file range's resident pages back to the kernel (madvise MADV_DONTNEED) once its contents have been
 * copied elsewhere (a re-laid weight), so the copy does not count twice in the process's resident set. The mapping
 * stays valid: a later read faults the same bytes in from the page cache. A no-op where libc's madvise is not
 * found (not Linux) or fails.
 */
public final class MappedPages {
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = find();

    private MappedPages() {}

    private static MethodHandle find() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> f = linker.defaultLookup().find("madvise");
            return f.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) { // no native access granted, or no such symbol
            return null;
        }
    }

    /**
     * Copies {@code src} (a mapped file range) into {@code dst} a megabyte at a time, releasing each copied part of the
     * mapping at once, so the resident set holds the bytes once at any moment. A fault while reading (the file was
     * truncated underneath) surfaces as the JVM's InternalError, which the caller turns into a message naming the file.
     */
    public static void copyReleasing(MemorySegment src, MemorySegment dst) {
        long n = src.byteSize(), chunk = 1 << 20;
        for (long at = 0; at < n; at += chunk) {
            long len = Math.min(chunk, n - at);
            MemorySegment.copy(src, at, dst, at, len);
            // a partial page at the chunk's end stays until the next chunk releases it whole
            release(src.asSlice(Math.max(0, at - PAGE), Math.min(n, at + len) - Math.max(0, at - PAGE)));
        }
    }

    /** Releases the whole pages inside {@code seg} (a partial page at either end is kept: a neighbour may use it). */
    public static boolean release(MemorySegment seg) {
        return seg.isMapped() && advise(seg, MADV_DONTNEED);
    }

    private static boolean advise(MemorySegment seg, int advice) {
        if (MADVISE == null || !seg.isNative()) return false;
        long start = (seg.address() + PAGE - 1) / PAGE * PAGE, end = (seg.address() + seg.byteSize()) / PAGE * PAGE;
        if (end <= start) return false;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, advice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
