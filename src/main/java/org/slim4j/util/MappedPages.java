package org.slim4j.util;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Page-level control of mapped memory through libc. {@link #release}: gives a mapped file range's resident pages back
 * to the kernel (madvise MADV_DONTNEED) once its contents have been copied elsewhere (a re-laid weight), so the copy
 * does not count twice in the process's resident set; the mapping stays valid: a later read faults the same bytes in
 * from the page cache. {@link #allocate}: fresh memory on transparent huge pages. Each falls back to doing nothing
 * special where libc's functions are not found (not Linux, no native access) or fail.
 */
public final class MappedPages {
    private static final int MADV_DONTNEED = 4, MADV_HUGEPAGE = 14;
    private static final int PROT_READ_WRITE = 3, MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final long PAGE = 4096, HUGE_PAGE = 2L << 20;
    private static final MethodHandle MADVISE = find("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MMAP = find("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = find("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private MappedPages() {}

    private static MethodHandle find(String name, FunctionDescriptor d) {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> f = linker.defaultLookup().find(name);
            return f.map(s -> linker.downcallHandle(s, d)).orElse(null);
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

    /**
     * {@code bytes} of zeroed memory, freed when {@code arena} closes, that the kernel backs with transparent huge pages
     * (anonymous mmap + MADV_HUGEPAGE, which works where THP is "madvise" or "always"): memory filled once and kept,
     * like decoded weights, then costs one fault per 2 MB instead of per 4 KB page. On this project's VM a 4 KB fault
     * costs ~13 us, so filling 100 MB took 340 ms on small pages and 14 ms on huge ones. Elsewhere, arena memory.
     */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (MMAP == null || MUNMAP == null || MADVISE == null || bytes < HUGE_PAGE) return arena.allocate(bytes, 64);
        long size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        MemorySegment p;
        try {
            p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            return arena.allocate(bytes, 64);
        }
        if (p.address() == -1L) return arena.allocate(bytes, 64); // MAP_FAILED
        MemorySegment whole = p.reinterpret(size);
        advise(whole, MADV_HUGEPAGE);
        return whole.reinterpret(size, arena, s -> {
            try {
                int ignored = (int) MUNMAP.invokeExact(s, size);
            } catch (Throwable t) {
                // the mapping is leaked, nothing else
            }
        }).asSlice(0, bytes);
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
