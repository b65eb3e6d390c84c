package org.slim4j.io.gguf;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A GGUF metadata array: an immutable list that also remembers its element type, so a writer can copy it
 * back with the same type (a list of Integers could be uint8 or int32 on disk). Elements use the Java types
 * listed on {@link GgufValueType}. Numbers and bools read from a file are held unboxed, in one primitive array of the element's
 * width, so an array takes the heap its file takes (boxed, a large uint8 array took several times the file);
 * {@link #get} boxes on demand and {@link #floatAt}/{@link #longAt} read without boxing.
 */
public final class GgufArray extends AbstractList<Object> implements RandomAccess {
    private final GgufValueType elementType;
    /**
     * As read from a file: byte[] (uint8, int8, bool), short[] (uint16, int16), int[] (uint32, int32), long[], float[],
     * double[], {@link Utf8} (strings) or Object[] (arrays); as built from a list: Object[] of the list's items.
     */
    private final Object values;
    private final int size;

    /** An array of the given items as they are (a writer checks each against the element type). */
    public GgufArray(GgufValueType elementType, List<?> items) {
        this(elementType, items.toArray(), items.size());
    }

    /** Wraps an array read from a file, of the kind {@link #values} documents for the element type (not copied). */
    GgufArray(GgufValueType elementType, Object values, int size) {
        if (elementType == null) throw new IllegalArgumentException("element type is null");
        this.elementType = elementType;
        this.values = values;
        this.size = size;
    }

    public GgufValueType elementType() {
        return elementType;
    }

    @Override
    public Object get(int index) {
        java.util.Objects.checkIndex(index, size);
        if (values instanceof Object[] boxed) return boxed[index];
        if (values instanceof Utf8 strings) return strings.get(index);
        return switch (elementType) {
            case UINT8 -> ((byte[]) values)[index] & 0xff;
            case INT8 -> (int) ((byte[]) values)[index];
            case BOOL -> ((byte[]) values)[index] != 0;
            case UINT16 -> ((short[]) values)[index] & 0xffff;
            case INT16 -> (int) ((short[]) values)[index];
            case UINT32 -> ((int[]) values)[index] & 0xffffffffL;
            case INT32 -> ((int[]) values)[index];
            case UINT64, INT64 -> ((long[]) values)[index];
            case FLOAT32 -> ((float[]) values)[index];
            case FLOAT64 -> ((double[]) values)[index];
            case STRING, ARRAY -> throw new IllegalStateException("unreachable: strings are Utf8, arrays boxed");
        };
    }

    /** Element {@code index} of an integer array as a long (a uint64 as its raw 64 bits), without boxing. */
    public long longAt(int index) {
        java.util.Objects.checkIndex(index, size);
        if (values instanceof Object[] boxed && elementType.isInteger()) return ((Number) boxed[index]).longValue();
        return switch (elementType) {
            case UINT8 -> ((byte[]) values)[index] & 0xff;
            case INT8 -> ((byte[]) values)[index];
            case UINT16 -> ((short[]) values)[index] & 0xffff;
            case INT16 -> ((short[]) values)[index];
            case UINT32 -> ((int[]) values)[index] & 0xffffffffL;
            case INT32 -> ((int[]) values)[index];
            case UINT64, INT64 -> ((long[]) values)[index];
            default -> throw new IllegalStateException("array of " + elementType.label() + " is not of integers");
        };
    }

    /** Element {@code index} of a float32 or float64 array as a float, without boxing. */
    public float floatAt(int index) {
        java.util.Objects.checkIndex(index, size);
        if (values instanceof Object[] boxed && (elementType == GgufValueType.FLOAT32 || elementType == GgufValueType.FLOAT64)) {
            return ((Number) boxed[index]).floatValue();
        }
        return switch (elementType) {
            case FLOAT32 -> ((float[]) values)[index];
            case FLOAT64 -> (float) ((double[]) values)[index];
            default -> throw new IllegalStateException("array of " + elementType.label() + " is not of floats");
        };
    }

    @Override
    public int size() {
        return size;
    }

    /** A file's array of strings: their UTF-8 bytes end to end, and where each ends; a String is made when asked for. */
    record Utf8(byte[] data, int[] ends) {
        String get(int i) {
            int from = i == 0 ? 0 : ends[i - 1];
            return new String(data, from, ends[i] - from, StandardCharsets.UTF_8);
        }
    }
}
