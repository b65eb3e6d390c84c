package org.slim4j.io.lossless;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.slim4j.io.TensorFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;
import org.slim4j.util.MappedPages;

/**
 * A safetensors file whose float tensors are stored losslessly coded (docs/FORMATS.md, "lossless"), seen as the
 * checkpoint it codes: every coded tensor is decoded once at open, its chunks spread over the threads of the pool
 * the caller runs in, into off-heap memory that holds the original bytes bit for bit (each chunk's CRC-32C is
 * checked); every other tensor is the mapped original. A corrupt or lying file is a {@link BadInputException} naming
 * the file and the tensor.
 */
public final class LosslessFile implements TensorFile {
    /** The {@code __metadata__} key whose JSON value lists the coded tensors. */
    public static final String METADATA = "slim4j.lossless";
    static final int VERSION = 1;
    static final String LENGTHS = ".huff_lengths", LANES = ".huff_lanes", STREAM = ".huff_stream", RAW = ".huff_raw", CRC = ".huff_crc32c";
    static final String[] PARTS = {LENGTHS, LANES, STREAM, RAW, CRC};

    /** A coded tensor: its type and values, the bytes the file stores for it, and the bytes it decodes to. */
    public record Coded(String name, DType dtype, long elements, long codedBytes) {
        public long decodedBytes() {
            return dtype.bytesFor(elements);
        }
    }

    private final SafetensorsFile file;
    private final Arena arena;
    private final List<Tensor> tensors;
    private final List<Coded> coded;

    private LosslessFile(SafetensorsFile file, Arena arena, List<Tensor> tensors, List<Coded> coded) {
        this.file = file;
        this.arena = arena;
        this.tensors = List.copyOf(tensors);
        this.coded = List.copyOf(coded);
    }

    /** True when the file's metadata says it holds coded tensors. */
    public static boolean isCoded(SafetensorsFile f) {
        return f.metadata().containsKey(METADATA);
    }

    /** {@code f} decoded when it is coded (this class takes it over and closes it), else {@code f} itself. */
    public static TensorFile decodeIfCoded(SafetensorsFile f) {
        if (!isCoded(f)) return f;
        Arena arena = Arena.ofShared();
        try {
            return decode(f, arena);
        } catch (RuntimeException e) {
            arena.close();
            f.close();
            throw e;
        }
    }

    private record Job(String name, ExponentCoding.Parts parts, MemorySegment out) {}

    private static LosslessFile decode(SafetensorsFile f, Arena arena) {
        Path path = f.path();
        String key = "__metadata__['" + METADATA + "']";
        JsonNode meta;
        try {
            meta = new ObjectMapper().readTree(f.metadata().get(METADATA));
        } catch (IOException e) {
            throw new BadInputException(path, key, "not valid JSON");
        }
        if (meta == null || meta.path("version").asInt(-1) != VERSION) throw new BadInputException(path, key, "version must be " + VERSION);
        if (meta.path("chunk").asLong(-1) != ExponentCoding.CHUNK || meta.path("lanes").asInt(-1) != ExponentCoding.LANES
                || meta.path("max_code_bits").asInt(-1) != Huffman.MAX_BITS) {
            throw new BadInputException(path, key, "chunk, lanes and max_code_bits must be " + ExponentCoding.CHUNK + ", "
                    + ExponentCoding.LANES + " and " + Huffman.MAX_BITS + " (format version " + VERSION + ")");
        }
        JsonNode entries = meta.path("tensors");
        if (!entries.isObject()) throw new BadInputException(path, key, "'tensors' must be an object");
        Map<String, String> partOf = new HashMap<>();
        Map<String, Job> jobs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries.properties()) {
            String name = e.getKey();
            Job job = job(f, name, e.getValue(), arena);
            jobs.put(name, job);
            for (String p : PARTS) partOf.put(name + p, name);
        }
        run(path, new ArrayList<>(jobs.values()));
        List<Tensor> tensors = new ArrayList<>();
        List<Coded> coded = new ArrayList<>();
        for (Tensor t : f.tensors()) {
            String owner = partOf.get(t.name());
            if (owner == null) {
                tensors.add(t);
            } else if (jobs.containsKey(owner)) {
                Job j = jobs.remove(owner); // its first part stands where the tensor stood
                long[] shape = shape(entries.get(owner));
                tensors.add(new Tensor(owner, j.parts.fields().type, shape, j.out));
                coded.add(new Coded(owner, j.parts.fields().type, j.parts.elements(), j.parts.bytes()));
            }
        }
        return new LosslessFile(f, arena, tensors, coded);
    }

    /** A coded tensor's parts, checked against each other, and the memory it decodes into. */
    private static Job job(SafetensorsFile f, String name, JsonNode entry, Arena arena) {
        Path path = f.path();
        String field = "tensor '" + name + "'";
        DType dtype = DType.fromSafetensorsName(entry.path("dtype").asText("")).orElse(null);
        FloatFields fields = dtype == null ? null : FloatFields.of(dtype);
        if (fields == null) throw new BadInputException(path, field, "coded dtype '" + entry.path("dtype").asText() + "' is not F32, F16 or BF16");
        long[] shape = shape(entry);
        if (shape == null) throw new BadInputException(path, field, "coded shape " + entry.path("shape") + " is not a list of non-negative integers");
        long elements = 1;
        try {
            for (long d : shape) elements = Math.multiplyExact(elements, d);
        } catch (ArithmeticException e) {
            elements = -1;
        }
        if (elements < 1 || elements * fields.planes > Integer.MAX_VALUE) {
            throw new BadInputException(path, field, "coded shape " + Arrays.toString(shape) + " holds " + (elements < 0 ? "too many" : elements)
                    + " values; a coded tensor holds 1 to " + Integer.MAX_VALUE / fields.planes);
        }
        int chunks = ExponentCoding.chunks(elements);
        MemorySegment lengths = part(f, name, LENGTHS, DType.U8, 256);
        MemorySegment lanes = part(f, name, LANES, DType.I64, (long) chunks * ExponentCoding.LANES + 1);
        MemorySegment stream = part(f, name, STREAM, DType.U8, -1);
        MemorySegment raw = part(f, name, RAW, DType.U8, elements * fields.planes);
        MemorySegment crc = part(f, name, CRC, DType.I32, chunks);
        int[] len = new int[256];
        for (int s = 0; s < 256; s++) len[s] = lengths.get(java.lang.foreign.ValueLayout.JAVA_BYTE, s) & 0xFF;
        String bad = Huffman.problem(len);
        if (bad != null) throw new BadInputException(path, name + LENGTHS, "bad code table: " + bad);
        long prev = 0;
        for (long i = 0; i < lanes.byteSize() / 8; i++) {
            long o = lanes.getAtIndex(Dequant.I64, i);
            if (i == 0 ? o != 0 : o < prev) throw new BadInputException(path, name + LANES, "lane offset " + i + " = " + o + (i == 0 ? ", expected 0" : " is before the previous one, " + prev));
            prev = o;
        }
        if (prev + ExponentCoding.PAD != stream.byteSize()) {
            throw new BadInputException(path, name + STREAM, stream.byteSize() + " bytes, but the lanes end at byte " + prev + " and " + ExponentCoding.PAD + " padding bytes follow (truncated stream or lying offsets)");
        }
        return new Job(name, new ExponentCoding.Parts(fields, elements, len, lanes, stream, raw, crc), MappedPages.allocate(dtype.bytesFor(elements), arena));
    }

    private static MemorySegment part(SafetensorsFile f, String name, String suffix, DType type, long elements) {
        Tensor t = f.find(name + suffix).orElseThrow(() -> new BadInputException(f.path(), "tensor '" + name + "'", "coded, but its part " + name + suffix + " is missing"));
        if (t.dtype() != type || t.shape().length != 1 || (elements >= 0 && t.elements() != elements)) {
            throw new BadInputException(f.path(), "tensor '" + name + suffix + "'", "is " + t.dtype() + " " + t.shapeString() + ", expected "
                    + type + " [" + (elements >= 0 ? elements : "n") + "]");
        }
        return t.data();
    }

    private static long[] shape(JsonNode entry) {
        JsonNode s = entry.path("shape");
        if (!s.isArray()) return null;
        long[] shape = new long[s.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!s.get(i).canConvertToLong() || !s.get(i).isIntegralNumber() || s.get(i).asLong() < 0) return null;
            shape[i] = s.get(i).asLong();
        }
        return shape;
    }

    private record Task(Job job, int chunk) {}

    /**
     * Every chunk of every tensor, in parallel on the current pool (runs of consecutive chunks, one scratch each); the
     * first problem found is thrown, naming its tensor.
     */
    private static void run(Path path, List<Job> jobs) {
        List<Task> tasks = new ArrayList<>();
        for (Job j : jobs) for (int c = 0; c < ExponentCoding.chunks(j.parts.elements()); c++) tasks.add(new Task(j, c));
        int groups = Math.min(tasks.size(), 4 * Runtime.getRuntime().availableProcessors());
        AtomicReference<BadInputException> problem = new AtomicReference<>();
        IntStream.range(0, groups).parallel().forEach(g -> {
            ExponentCoding.Scratch scratch = new ExponentCoding.Scratch();
            for (int i = (int) ((long) g * tasks.size() / groups), end = (int) ((long) (g + 1) * tasks.size() / groups); i < end && problem.get() == null; i++) {
                Task t = tasks.get(i);
                String bad;
                try {
                    bad = ExponentCoding.decode(t.job.parts, t.chunk, scratch, t.job.out);
                } catch (IndexOutOfBoundsException e) {
                    bad = "chunk " + t.chunk + ": the stream runs past its end (corrupt stream or code lengths)";
                }
                if (bad != null) problem.compareAndSet(null, new BadInputException(path, "tensor '" + t.job.name + "'", bad));
            }
        });
        if (problem.get() != null) throw problem.get();
    }

    /** The coded tensors, in file order. */
    public List<Coded> coded() {
        return coded;
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        try {
            arena.close();
        } finally {
            file.close();
        }
    }
}
