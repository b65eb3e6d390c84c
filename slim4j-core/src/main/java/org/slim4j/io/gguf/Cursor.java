package org.slim4j.io.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;
import org.slim4j.util.BadInputException;

/** Bounds-checked little-endian reads over a mapped file; every read names the field it was reading. */
final class Cursor {
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment seg;
    final String source;
    final long size;
    long pos;

    Cursor(MemorySegment seg, String source) {
        this.seg = seg;
        this.source = source;
        this.size = seg.byteSize();
    }

    long remaining() {
        return size - pos;
    }

    BadInputException bad(String field, String problem) {
        return new BadInputException(source, field, problem);
    }

    /** Checks n bytes are left before reading them, so a truncated file fails with a message, not an IndexOutOfBounds. */
    void need(long n, String field) {
        if (n < 0 || n > size - pos) {
            throw bad(field, "truncated: needs " + (n < 0 ? Long.toUnsignedString(n) : n) + " bytes at offset " + pos
                    + " but only " + (size - pos) + " remain");
        }
    }

    byte i8(String field) {
        need(1, field);
        return seg.get(ValueLayout.JAVA_BYTE, pos++);
    }

    short i16(String field) {
        need(2, field);
        short v = seg.get(I16, pos);
        pos += 2;
        return v;
    }

    int i32(String field) {
        need(4, field);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    long i64(String field) {
        need(8, field);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    /** A uint64 count that must fit the bytes left, each item taking at least minItemBytes: never allocate from a lying length. */
    long count(String field, int minItemBytes) {
        long n = i64(field);
        if (n < 0 || n > remaining() / Math.max(1, minItemBytes)) throw tooLong(field, n);
        return n;
    }

    private BadInputException tooLong(String field, long n) {
        return bad(field, "length " + Long.toUnsignedString(n) + " is larger than the " + remaining()
                + " bytes left in the file (truncated or corrupt)");
    }

    /**
     * An array of n strings (each a uint64 length and its UTF-8 bytes) as one byte array of their bytes end to end and
     * each one's end: a vocabulary's tokens and merges take about their file size, not ~100k String objects (9 MB of
     * heap for SmolLM2's, held as long as the model). Errors name the element as {@link #string} would.
     */
    GgufArray.Utf8 strings(int n, String field) {
        long start = pos, total = 0;
        int[] ends = new int[n];
        for (int i = 0; i < n; i++) {
            long len = remaining() >= 8 ? seg.get(I64, pos) : i64(field + "[" + i + "]"); // i64 throws: truncated
            pos += 8;
            if (len < 0 || len > remaining()) throw tooLong(field + "[" + i + "]", len);
            pos += len;
            total += len;
            if (total > Integer.MAX_VALUE - 8) throw bad(field, "strings of " + total + " bytes in all are too long");
            ends[i] = (int) total;
        }
        byte[] data = new byte[(int) total];
        for (int i = 0, from = 0; i < n; from = ends[i++]) {
            start += 8;
            MemorySegment.copy(seg, I8, start, data, from, ends[i] - from);
            start += ends[i] - from;
        }
        return new GgufArray.Utf8(data, ends);
    }

    /** n values of {@code layout}, copied in bulk into a new array made by {@code make} (byte[], short[], int[], ...). */
    <A> A array(int n, ValueLayout layout, IntFunction<A> make, String field) {
        long bytes = layout.byteSize() * n;
        need(bytes, field);
        A a = make.apply(n);
        MemorySegment.copy(seg, layout, pos, a, 0, n);
        pos += bytes;
        return a;
    }

    String string(String field) {
        long len = count(field, 1);
        if (len > Integer.MAX_VALUE - 8) throw bad(field, "string of " + len + " bytes is too long");
        int n = (int) len;
        byte[] b = new byte[n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, n);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }
}
