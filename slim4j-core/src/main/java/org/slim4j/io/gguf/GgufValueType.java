package org.slim4j.io.gguf;

/**
 * GGUF metadata value types, with their on-disk ids. The Java object each one reads as (and that
 * {@link GgufWriter} accepts) is chosen so every value survives a round trip:
 * <ul>
 *   <li>UINT8, INT8, UINT16, INT16, INT32: {@link Integer} (unsigned types widened, never negative)</li>
 *   <li>UINT32, INT64: {@link Long}; UINT64: {@link Long} holding the raw 64 bits (values of 2^63 and up read
 *       as negative; use {@link Long#toUnsignedString(long)})</li>
 *   <li>FLOAT32: {@link Float}; FLOAT64: {@link Double}; BOOL: {@link Boolean}; STRING: {@link String}</li>
 *   <li>ARRAY: {@link GgufArray}, a {@code List<Object>} of the above that also records its element type
 *       (nested arrays are GgufArrays inside a GgufArray)</li>
 * </ul>
 */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    public final int id;
    /** Fewest bytes one value can take on disk: bounds a count read from the file before anything is allocated. */
    final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    private static final GgufValueType[] BY_ID = values();

    /** The type with this id, or null. Ids are dense 0..12 and match the ordinal. */
    public static GgufValueType fromId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    public boolean isInteger() {
        return this == UINT8 || this == INT8 || this == UINT16 || this == INT16 || this == UINT32 || this == INT32
                || this == UINT64 || this == INT64;
    }

    public String label() {
        return name().toLowerCase();
    }
}
