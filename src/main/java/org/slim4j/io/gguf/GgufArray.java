package org.slim4j.io.gguf;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A GGUF metadata array: an immutable list that also remembers its element type, so a writer can copy it
 * back with the same type (a list of Integers could be uint8 or int32 on disk). Elements use the Java types
 * listed on {@link GgufValueType}.
 */
public final class GgufArray extends AbstractList<Object> implements RandomAccess {
    private final GgufValueType elementType;
    private final Object[] items;

    public GgufArray(GgufValueType elementType, List<?> items) {
        this(elementType, items.toArray());
    }

    GgufArray(GgufValueType elementType, Object[] items) {
        if (elementType == null) throw new IllegalArgumentException("element type is null");
        this.elementType = elementType;
        this.items = items;
    }

    public GgufValueType elementType() {
        return elementType;
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }
}
