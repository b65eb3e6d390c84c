package org.slim4j.io.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * Writes a GGUF v3 file in llama.cpp's layout: header, metadata in insertion order, tensor infos, then each
 * tensor's data padded with zeros to the alignment (general.alignment, or 32). Metadata values use the Java
 * types documented on {@link GgufValueType}. {@link #write(Path)} goes through a temp file in the target's
 * directory and an atomic rename, so a failure never leaves a half-written file behind.
 */
public final class GgufWriter {
    private record Entry(GgufValueType type, Object value) {}

    /** A tensor to write: its bytes now ({@code data}), or made when written ({@code make}, into an arena then closed). */
    private record PendingTensor(String name, DType type, long[] ne, long bytes, MemorySegment data, Function<Arena, MemorySegment> make) {}

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();

    /** Adds or replaces a key (a replaced key keeps its position); the value must suit the type. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        check(type, value, key);
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            long a = type == GgufValueType.UINT32 ? ((Number) value).longValue() : -1;
            if (a <= 0 || Long.bitCount(a) != 1) throw new IllegalArgumentException(key + " must be a uint32 power of two");
        }
        metadata.put(key, new Entry(type, value));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, value);
    }

    public GgufWriter putUint64(String key, long value) {
        return put(key, GgufValueType.UINT64, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    public GgufWriter putArray(String key, GgufValueType elementType, List<?> items) {
        return put(key, GgufValueType.ARRAY, new GgufArray(elementType, items));
    }

    public GgufWriter putStrings(String key, List<String> items) {
        return putArray(key, GgufValueType.STRING, items);
    }

    public GgufWriter putFloats(String key, float[] items) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, items.clone(), items.length));
    }

    public GgufWriter putInts(String key, int[] items) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.INT32, items.clone(), items.length));
    }

    /** Copies every key of {@code f} with its exact on-disk type, in file order. */
    public GgufWriter putAll(GgufFile f) {
        f.metadata().forEach((k, v) -> put(k, f.typeOf(k), v));
        return this;
    }

    public int alignment() {
        Entry e = metadata.get(GgufFile.ALIGNMENT_KEY);
        return e == null ? GgufFile.DEFAULT_ALIGNMENT : (int) ((Number) e.value()).longValue();
    }

    /** A tensor whose bytes (already in {@code type}'s encoding) are in {@code data}; shape in numpy order. */
    public GgufWriter addTensor(String name, DType type, long[] shape, MemorySegment data) {
        return add(name, type, shape, data, null);
    }

    /**
     * A tensor whose bytes {@code make} produces when the file is written, into an arena closed once they are: a
     * quantizer writing tensor after tensor then holds one encoded tensor at a time, not the whole output (a 1B
     * model's 0.8 GB), which is what lets a model larger than the memory it may use still compress.
     */
    public GgufWriter addTensor(String name, DType type, long[] shape, Function<Arena, MemorySegment> make) {
        return add(name, type, shape, null, make);
    }

    private GgufWriter add(String name, DType type, long[] shape, MemorySegment data, Function<Arena, MemorySegment> make) {
        if (type.ggmlId < 0) throw new IllegalArgumentException(name + ": " + type + " has no ggml type id");
        if (shape.length > GgufFile.MAX_DIMS) throw new IllegalArgumentException(name + ": more than 4 dimensions");
        if (tensors.containsKey(name)) throw new IllegalArgumentException(name + ": duplicate tensor name");
        long elements = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": negative dimension");
            elements = Math.multiplyExact(elements, d);
        }
        long row = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (row % type.blockSize != 0) throw new IllegalArgumentException(name + ": rows are not whole " + type + " blocks");
        if (data != null) checkSize(name, type, shape, data, type.bytesFor(elements));
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        tensors.put(name, new PendingTensor(name, type, ne, type.bytesFor(elements), data, make));
        return this;
    }

    private static void checkSize(String name, DType type, long[] shape, MemorySegment data, long bytes) {
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes, " + type + " " + java.util.Arrays.toString(shape)
                    + " needs " + bytes);
        }
    }

    public GgufWriter addTensor(Tensor t) {
        return addTensor(t.name(), t.dtype(), t.shape(), t.data());
    }

    /** Float values encoded as F32, F16 (round to nearest even) or BF16 (round to nearest even, as ggml does). */
    public GgufWriter addTensor(String name, long[] shape, float[] values, DType encodeAs) {
        MemorySegment seg = org.slim4j.tensor.Floats.encode(values, encodeAs);
        return addTensor(name, encodeAs, shape, seg);
    }

    /** Writes the file atomically: a temp file beside the target, forced to disk, then renamed over it. */
    public void write(Path target) {
        try {
            org.slim4j.util.AtomicFiles.writeChannel(target, this::writeTo);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        int alignment = alignment();
        Buf h = new Buf();
        h.i32(GgufFile.MAGIC).i32(3).i64(tensors.size()).i64(metadata.size());
        metadata.forEach((k, e) -> {
            h.str(k).i32(e.type().id);
            writeValue(h, e.type(), e.value());
        });
        long offset = 0;
        List<Long> padded = new ArrayList<>();
        for (PendingTensor t : tensors.values()) {
            h.str(t.name()).i32(t.ne().length);
            for (long d : t.ne()) h.i64(d);
            h.i32(t.type().ggmlId).i64(offset);
            long size = GgufFile.alignUp(t.bytes(), alignment);
            padded.add(size);
            offset += size;
        }
        h.zeros(GgufFile.alignUp(h.size(), alignment) - h.size());
        writeFully(ch, h.flip());
        // Copied through one buffer: asByteBuffer() cannot view every kind of segment (e.g. one over a float[]).
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        MemorySegment chunkSeg = MemorySegment.ofBuffer(chunk);
        int i = 0;
        for (PendingTensor t : tensors.values()) {
            long n = t.bytes();
            try (Arena arena = t.make() == null ? null : Arena.ofShared()) { // shared: encoders fill rows on all cores
                MemorySegment data = t.data();
                if (data == null) {
                    data = t.make().apply(arena);
                    checkSize(t.name(), t.type(), t.ne(), data, n);
                }
                for (long p = 0; p < n; p += chunk.capacity()) {
                    int len = (int) Math.min(chunk.capacity(), n - p);
                    MemorySegment.copy(data, p, chunkSeg, 0, len);
                    writeFully(ch, chunk.clear().limit(len));
                }
            }
            writeFully(ch, ByteBuffer.allocate((int) (padded.get(i++) - n)));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void writeValue(Buf h, GgufValueType t, Object v) {
        switch (t) {
            case UINT8, INT8 -> h.i8(((Number) v).intValue());
            case UINT16, INT16 -> h.i16(((Number) v).intValue());
            case UINT32, INT32 -> h.i32(((Number) v).intValue());
            case UINT64, INT64 -> h.i64(((Number) v).longValue());
            case FLOAT32 -> h.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> h.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case BOOL -> h.i8((Boolean) v ? 1 : 0);
            case STRING -> h.str((String) v);
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                h.i32(a.elementType().id).i64(a.size());
                for (Object o : a) writeValue(h, a.elementType(), o);
            }
        }
    }

    /** Rejects a value that would not read back as itself, before anything is written. */
    private static void check(GgufValueType t, Object v, String where) {
        boolean ok = switch (t) {
            case UINT8 -> integral(v) && inRange(v, 0, 0xff);
            case INT8 -> integral(v) && inRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> integral(v) && inRange(v, 0, 0xffff);
            case INT16 -> integral(v) && inRange(v, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> integral(v) && inRange(v, 0, 0xffffffffL);
            case INT32 -> integral(v) && inRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> integral(v);
            case FLOAT32 -> v instanceof Float;
            case FLOAT64 -> v instanceof Double || v instanceof Float;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> v instanceof GgufArray;
        };
        if (!ok) {
            String got = v == null ? "null" : v.getClass().getSimpleName() + " " + v;
            throw new IllegalArgumentException(where + ": " + got + " is not a valid " + t.label());
        }
        if (v instanceof GgufArray a) {
            for (int i = 0; i < a.size(); i++) check(a.elementType(), a.get(i), where + "[" + i + "]");
        }
    }

    private static boolean integral(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte;
    }

    private static boolean inRange(Object v, long lo, long hi) {
        long x = ((Number) v).longValue();
        return x >= lo && x <= hi;
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class Buf {
        private ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private Buf room(int n) {
            if (b.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                bigger.put(b.flip());
                b = bigger;
            }
            return this;
        }

        Buf i8(int v) {
            room(1).b.put((byte) v);
            return this;
        }

        Buf i16(int v) {
            room(2).b.putShort((short) v);
            return this;
        }

        Buf i32(int v) {
            room(4).b.putInt(v);
            return this;
        }

        Buf i64(long v) {
            room(8).b.putLong(v);
            return this;
        }

        Buf str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            room(bytes.length).b.put(bytes);
            return this;
        }

        Buf zeros(long n) {
            room((int) n).b.put(new byte[(int) n]);
            return this;
        }

        long size() {
            return b.position();
        }

        ByteBuffer flip() {
            return b.flip();
        }
    }
}
