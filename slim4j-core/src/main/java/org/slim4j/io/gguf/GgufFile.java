package org.slim4j.io.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.slim4j.io.TensorFile;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * A GGUF v2/v3 file, memory-mapped: metadata is parsed onto the heap, tensor data stays in the mapping until
 * {@link #close()}. Tensor shapes are in numpy order (GGUF's ne[] reversed). Metadata values use the Java types
 * documented on {@link GgufValueType}; {@link #typeOf(String)} gives each key's on-disk type.
 */
public final class GgufFile implements TensorFile {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;
    // Deeper nesting has no use and would let a small file overflow the stack.
    private static final int MAX_ARRAY_DEPTH = 16;
    // The longest Java array (a few below Integer.MAX_VALUE on HotSpot); a longer count would wrap an int cast.
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Path path;
    private final Arena arena;
    private final int version;
    private final int alignment;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final Map<String, Long> offsets;

    private GgufFile(Path path, Arena arena, MemorySegment seg) {
        this.path = path;
        this.arena = arena;
        Cursor c = new Cursor(seg, path.toString());
        int magic = c.i32("magic");
        if (magic != MAGIC) {
            throw c.bad("magic", String.format("not a GGUF file (first bytes 0x%08x, expected \"GGUF\")", magic));
        }
        int v = c.i32("version");
        if (v == 1) throw c.bad("version", "GGUF v1 is not supported (32-bit lengths); re-convert with a current llama.cpp");
        if (Integer.reverseBytes(v) == 2 || Integer.reverseBytes(v) == 3) {
            throw c.bad("version", "big-endian GGUF is not supported");
        }
        if (v != 2 && v != 3) throw c.bad("version", "unsupported version " + Integer.toUnsignedString(v) + " (expected 2 or 3)");
        this.version = v;
        // Smallest tensor info: name length 8 + n_dims 4 + type 4 + offset 8; smallest KV: key length 8 + type 4 + 1.
        long nTensors = c.count("tensor_count", 24);
        long nKv = c.count("metadata_kv_count", 13);

        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, GgufValueType> ty = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = c.string("metadata key #" + i);
            String field = "metadata '" + shown(key) + "'";
            if (md.containsKey(key)) throw c.bad(field, "duplicate key");
            GgufValueType t = valueType(c, field);
            md.put(key, readValue(c, t, field, 0));
            ty.put(key, t);
        }
        this.metadata = Collections.unmodifiableMap(md);
        this.types = Collections.unmodifiableMap(ty);
        this.alignment = readAlignment(c);

        List<String> names = new ArrayList<>();
        List<DType> dtypes = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        List<Long> offs = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (long i = 0; i < nTensors; i++) {
            String name = c.string("tensor #" + i + " name");
            String field = "tensor '" + shown(name) + "'";
            if (!seen.add(name)) throw c.bad(field, "duplicate tensor name");
            int nDims = c.i32(field + " n_dims");
            if (nDims < 0 || nDims > MAX_DIMS) throw c.bad(field, "n_dims " + Integer.toUnsignedString(nDims) + " is more than " + MAX_DIMS);
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.i64(field + " ne[" + d + "]");
                if (ne[d] < 0) throw c.bad(field, "ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is out of range");
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw c.bad(field, "element count overflows 64 bits");
                }
            }
            int typeId = c.i32(field + " type");
            DType dt = DType.fromGgmlId(typeId).orElseThrow(() -> c.bad(field, GgmlTypeNames.unsupported(typeId)));
            long rowLen = nDims == 0 ? 1 : ne[0];
            if (rowLen % dt.blockSize != 0) {
                throw c.bad(field, "row of " + rowLen + " elements is not a whole number of " + dt + " blocks of " + dt.blockSize);
            }
            long off = c.i64(field + " offset");
            if (off < 0) throw c.bad(field, "offset " + Long.toUnsignedString(off) + " is out of range");
            if (off % alignment != 0) throw c.bad(field, "offset " + off + " is not a multiple of the alignment " + alignment);
            long[] shape = new long[nDims];
            for (int d = 0; d < nDims; d++) shape[d] = ne[nDims - 1 - d];
            names.add(name);
            dtypes.add(dt);
            shapes.add(shape);
            offs.add(off);
            try {
                sizes.add(Math.multiplyExact(elements / dt.blockSize, (long) dt.blockBytes));
            } catch (ArithmeticException e) { // wrapped negative, it passed the layout check and failed at slicing
                throw c.bad(field, elements + " elements of " + dt + " overflow 64 bits of bytes");
            }
        }
        this.dataOffset = alignUp(c.pos, alignment);
        if (!names.isEmpty() && dataOffset > c.size) {
            throw c.bad("tensor data", "starts at offset " + dataOffset + " (after the header, aligned to " + alignment
                    + "), past the end of the " + c.size + "-byte file (truncated)");
        }
        long dataBytes = Math.max(0, c.size - dataOffset);
        checkLayout(c, names, offs, sizes, dataBytes);

        List<Tensor> ts = new ArrayList<>();
        Map<String, Tensor> bn = new HashMap<>();
        Map<String, Long> ob = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            MemorySegment data = seg.asSlice(dataOffset + offs.get(i), sizes.get(i));
            Tensor t = new Tensor(names.get(i), dtypes.get(i), shapes.get(i), data);
            ts.add(t);
            bn.put(t.name(), t);
            ob.put(t.name(), offs.get(i));
        }
        this.tensors = Collections.unmodifiableList(ts);
        this.byName = bn;
        this.offsets = ob;
        // the header is parsed: its pages (a vocabulary's strings, ~3 MB) leave the resident set; an array read later
        // (the tokenizer, on first use) faults its pages back in from the page cache
        org.slim4j.util.MappedPages.release(seg.asSlice(0, Math.min(dataOffset, c.size)));
    }

    /** Maps and parses the file; any malformation is a one-line BadInputException naming the file and field. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new BadInputException(path, null, "no such file");
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read " + path, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static GgufValueType valueType(Cursor c, String field) {
        int id = c.i32(field + " type");
        GgufValueType t = GgufValueType.fromId(id);
        if (t == null) throw c.bad(field, "unknown value type " + Integer.toUnsignedString(id));
        return t;
    }

    private static Object readValue(Cursor c, GgufValueType t, String field, int depth) {
        return switch (t) {
            case UINT8 -> c.i8(field) & 0xff;
            case INT8 -> (int) c.i8(field);
            case UINT16 -> c.i16(field) & 0xffff;
            case INT16 -> (int) c.i16(field);
            case UINT32 -> c.i32(field) & 0xffffffffL;
            case INT32 -> c.i32(field);
            case UINT64, INT64 -> c.i64(field);
            case FLOAT32 -> Float.intBitsToFloat(c.i32(field));
            case FLOAT64 -> Double.longBitsToDouble(c.i64(field));
            case BOOL -> {
                byte b = c.i8(field);
                // Anything but 0/1 could not be written back unchanged.
                if (b != 0 && b != 1) throw c.bad(field, "bool value " + b + " is not 0 or 1");
                yield b == 1;
            }
            case STRING -> c.string(field);
            case ARRAY -> {
                if (depth >= MAX_ARRAY_DEPTH) throw c.bad(field, "arrays nested deeper than " + MAX_ARRAY_DEPTH);
                GgufValueType et = valueType(c, field + " element");
                long n = c.count(field + " array length", et.minBytes);
                if (n > MAX_ARRAY_LENGTH) throw c.bad(field, "array of " + n + " elements is longer than the " + MAX_ARRAY_LENGTH + " a Java array holds");
                yield readArray(c, et, (int) n, field, depth);
            }
        };
    }

    /**
     * An array's elements: numbers and bools copied in bulk into one primitive array, strings into one byte array,
     * arrays one by one.
     */
    private static GgufArray readArray(Cursor c, GgufValueType et, int n, String field, int depth) {
        Object values = switch (et) {
            case UINT8, INT8, BOOL -> {
                byte[] a = c.array(n, Cursor.I8, byte[]::new, field);
                if (et == GgufValueType.BOOL) {
                    for (int i = 0; i < n; i++) {
                        if (a[i] != 0 && a[i] != 1) throw c.bad(field + "[" + i + "]", "bool value " + a[i] + " is not 0 or 1");
                    }
                }
                yield a;
            }
            case UINT16, INT16 -> c.array(n, Cursor.I16, short[]::new, field);
            case UINT32, INT32 -> c.array(n, Cursor.I32, int[]::new, field);
            case UINT64, INT64 -> c.array(n, Cursor.I64, long[]::new, field);
            case FLOAT32 -> c.array(n, Cursor.F32, float[]::new, field);
            case FLOAT64 -> c.array(n, Cursor.F64, double[]::new, field);
            case STRING -> c.strings(n, field);
            case ARRAY -> {
                Object[] items = new Object[n];
                for (int i = 0; i < n; i++) items[i] = readValue(c, et, field + "[" + i + "]", depth + 1);
                yield items;
            }
        };
        return new GgufArray(et, values, n);
    }

    private int readAlignment(Cursor c) {
        if (!metadata.containsKey(ALIGNMENT_KEY)) return DEFAULT_ALIGNMENT;
        String field = "metadata '" + ALIGNMENT_KEY + "'";
        if (types.get(ALIGNMENT_KEY) != GgufValueType.UINT32) {
            throw c.bad(field, "type is " + types.get(ALIGNMENT_KEY).label() + ", expected uint32");
        }
        long a = (Long) metadata.get(ALIGNMENT_KEY);
        if (a == 0 || Long.bitCount(a) != 1) throw c.bad(field, "alignment " + a + " is not a power of two");
        return (int) a;
    }

    private static void checkLayout(Cursor c, List<String> names, List<Long> offs, List<Long> sizes, long dataBytes) {
        Integer[] order = new Integer[names.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Long.compare(offs.get(a), offs.get(b)));
        long prevEnd = 0;
        String prev = null;
        for (int i : order) {
            String field = "tensor '" + shown(names.get(i)) + "'";
            long off = offs.get(i), size = sizes.get(i);
            if (size > dataBytes || off > dataBytes - size) {
                throw c.bad(field, "data [" + off + ", +" + size + ") runs past the end of the file (" + dataBytes
                        + " data bytes)");
            }
            if (off < prevEnd) throw c.bad(field, "data at offset " + off + " overlaps tensor '" + prev + "' (ends at " + prevEnd + ")");
            prevEnd = off + size;
            prev = names.get(i);
        }
    }

    /** A name from the file as messages quote it: a corrupted one can be kilobytes of bytes that were never a name. */
    private static String shown(String name) {
        return name.length() <= 120 ? name : name.substring(0, 100) + "...(" + name.length() + " chars)";
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    // ---- tensors

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tensor's offset relative to the start of the data section, as stored in the file. */
    public long offsetOf(String name) {
        tensor(name);
        return offsets.get(name);
    }

    public int version() {
        return version;
    }

    /** general.alignment, or 32 when absent. */
    public int alignment() {
        return alignment;
    }

    /** Absolute file offset of the data section. */
    public long dataOffset() {
        return dataOffset;
    }

    // ---- metadata

    /** Every key, in file order; values as documented on {@link GgufValueType}. Unmodifiable. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Each key's on-disk type, in file order; with {@link GgufArray#elementType()} enough to write values back exactly. */
    public Map<String, GgufValueType> types() {
        return types;
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public GgufValueType typeOf(String key) {
        GgufValueType t = types.get(key);
        if (t == null) throw missing(key);
        return t;
    }

    public Object value(String key) {
        Object v = metadata.get(key);
        if (v == null) throw missing(key);
        return v;
    }

    public String string(String key) {
        return expect(key, GgufValueType.STRING, String.class);
    }

    public Optional<String> optString(String key) {
        return has(key) ? Optional.of(string(key)) : Optional.empty();
    }

    /** Any integer type as a long; a uint64 of 2^63 or more is an error rather than a negative number. */
    public long integer(String key) {
        GgufValueType t = typeOf(key);
        if (!t.isInteger()) throw wrongType(key, "an integer");
        long v = ((Number) metadata.get(key)).longValue();
        if (t == GgufValueType.UINT64 && v < 0) throw new BadInputException(path, "metadata '" + key + "'", "uint64 " + Long.toUnsignedString(v) + " does not fit a long");
        return v;
    }

    public OptionalLong optInteger(String key) {
        return has(key) ? OptionalLong.of(integer(key)) : OptionalLong.empty();
    }

    /** A float32 value (a float64 is narrowed, as llama.cpp reads such keys as float). */
    public float float32(String key) {
        GgufValueType t = typeOf(key);
        if (t != GgufValueType.FLOAT32 && t != GgufValueType.FLOAT64) throw wrongType(key, "float32");
        return ((Number) metadata.get(key)).floatValue();
    }

    public Optional<Float> optFloat32(String key) {
        return has(key) ? Optional.of(float32(key)) : Optional.empty();
    }

    public boolean bool(String key) {
        return expect(key, GgufValueType.BOOL, Boolean.class);
    }

    public GgufArray array(String key) {
        return expect(key, GgufValueType.ARRAY, GgufArray.class);
    }

    /**
     * The array's strings without a copy: each {@code get} decodes its string from the file again. For one pass over a
     * large vocabulary, whose copy would be garbage a moment later.
     */
    public List<String> stringsView(String key) {
        GgufArray a = array(key);
        if (a.elementType() != GgufValueType.STRING) throw wrongType(key, "array of string");
        return new java.util.AbstractList<>() {
            @Override
            public String get(int i) {
                return (String) a.get(i);
            }

            @Override
            public int size() {
                return a.size();
            }
        };
    }

    public List<String> strings(String key) {
        GgufArray a = array(key);
        if (a.elementType() != GgufValueType.STRING) throw wrongType(key, "array of string");
        List<String> out = new ArrayList<>(a.size());
        for (Object o : a) out.add((String) o);
        return Collections.unmodifiableList(out);
    }

    public float[] floats(String key) {
        GgufArray a = array(key);
        if (a.elementType() != GgufValueType.FLOAT32 && a.elementType() != GgufValueType.FLOAT64) {
            throw wrongType(key, "array of float32");
        }
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.floatAt(i);
        return out;
    }

    /** An array of any integer type whose values all fit an int. */
    public int[] ints(String key) {
        GgufArray a = array(key);
        if (!a.elementType().isInteger()) throw wrongType(key, "array of integers");
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            long v = a.longAt(i);
            if (v != (int) v) throw new BadInputException(path, "metadata '" + key + "'[" + i + "]", "value " + v + " does not fit an int");
            out[i] = (int) v;
        }
        return out;
    }

    private <T> T expect(String key, GgufValueType t, Class<T> cls) {
        if (typeOf(key) != t) throw wrongType(key, t.label());
        return cls.cast(metadata.get(key));
    }

    private BadInputException missing(String key) {
        return new BadInputException(path, "metadata '" + key + "'", "key not found");
    }

    private BadInputException wrongType(String key, String wanted) {
        GgufValueType t = types.get(key);
        String found = t == GgufValueType.ARRAY ? "array of " + ((GgufArray) metadata.get(key)).elementType().label() : t.label();
        return new BadInputException(path, "metadata '" + key + "'", "expected " + wanted + ", found " + found);
    }

    /** Releases the mapping; tensors from this file must not be used afterwards. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return path + " (GGUF v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors)";
    }
}
