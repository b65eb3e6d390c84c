package org.slim4j.io.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes GGUF bytes field by field, independently of GgufWriter, so tests can build files that lie. */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    RawGguf u8(int v) {
        out.write(v);
        return this;
    }

    RawGguf u32(long v) {
        for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    RawGguf u64(long v) {
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
        return this;
    }

    RawGguf header(long version, long nTensors, long nKv) {
        return u32(0x46554747).u32(version).u64(nTensors).u64(nKv);
    }

    RawGguf kvString(String key, String value) {
        return str(key).u32(8).str(value);
    }

    RawGguf kvU32(String key, long value) {
        return str(key).u32(4).u32(value);
    }

    /** ne in GGUF order (fastest first). */
    RawGguf tensor(String name, long[] ne, int ggmlType, long offset) {
        str(name).u32(ne.length);
        for (long d : ne) u64(d);
        return u32(ggmlType).u64(offset);
    }

    RawGguf padTo(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
        return this;
    }

    RawGguf zeros(int n) {
        out.write(new byte[n], 0, n);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
