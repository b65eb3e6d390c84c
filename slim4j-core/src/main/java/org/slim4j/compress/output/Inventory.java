package org.slim4j.compress.output;

import java.lang.reflect.RecordComponent;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.tensor.Tensor;

/**
 * Every weight of a model's weight record with its element count and stored bits, found by walking the record
 * (tensors, float vectors, lists and arrays of layer records), each object counted once (tied embeddings).
 * Float vectors have no dtype of their own (decoded at load): they count at {@code vectorBits}.
 */
public final class Inventory {
    public record Entry(String name, long elements, long bits) {}

    private Inventory() {}

    public static Map<String, Entry> of(Record weights, int vectorBits) {
        Map<String, Entry> out = new LinkedHashMap<>();
        walk(weights, "", out, new IdentityHashMap<>(), vectorBits);
        return out;
    }

    private static void walk(Object o, String path, Map<String, Entry> out, IdentityHashMap<Object, Boolean> seen, int vectorBits) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) return;
        switch (o) {
            case Tensor t -> out.put(t.name(), new Entry(t.name(), t.elements(), t.dtype().bytesFor(t.cols()) * 8 * t.rows()));
            case float[] f -> out.put(path, new Entry(path, f.length, (long) f.length * vectorBits));
            case List<?> l -> {
                for (int i = 0; i < l.size(); i++) walk(l.get(i), path + "." + i, out, seen, vectorBits);
            }
            case Object[] a -> {
                for (int i = 0; i < a.length; i++) walk(a[i], path + "." + i, out, seen, vectorBits);
            }
            case Record r -> {
                try {
                    for (RecordComponent rc : r.getClass().getRecordComponents()) walk(rc.getAccessor().invoke(r), path + "." + rc.getName(), out, seen, vectorBits);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            default -> { }
        }
    }
}
