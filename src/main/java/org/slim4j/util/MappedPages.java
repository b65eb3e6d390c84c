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
