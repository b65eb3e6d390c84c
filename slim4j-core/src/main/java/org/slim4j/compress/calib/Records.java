package org.slim4j.compress.calib;

import java.lang.reflect.RecordComponent;

/** A copy of a record with one component replaced: the models' weight records are immutable by design. */
final class Records {
    private Records() {}

    @SuppressWarnings("unchecked")
    static <R extends Record> R with(R record, String component, Object value) {
        try {
            RecordComponent[] rc = record.getClass().getRecordComponents();
            Object[] args = new Object[rc.length];
            Class<?>[] types = new Class<?>[rc.length];
            boolean found = false;
            for (int i = 0; i < rc.length; i++) {
                types[i] = rc[i].getType();
                args[i] = rc[i].getName().equals(component) ? value : rc[i].getAccessor().invoke(record);
                found |= rc[i].getName().equals(component);
            }
            if (!found) throw new IllegalArgumentException(record.getClass().getSimpleName() + " has no component " + component);
            var ctor = record.getClass().getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return (R) ctor.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static Object get(Record r, String component) {
        try {
            for (RecordComponent rc : r.getClass().getRecordComponents()) if (rc.getName().equals(component)) return rc.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalArgumentException(r.getClass().getSimpleName() + " has no component " + component);
    }
}
