package org.slim4j.io.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * An importance matrix in llama.cpp's sense: for each weight matrix (GGUF name), the sums over the calibration tokens
 * of x_j and x_j^2 for every input column j, and the token count; the importance is sum x_j^2 / count, the mean square
 * of the column's input. Tensors that read the same input (attn_q/k/v, ffn_gate/up) have the same sums but their own
 * entries, as llama-imatrix writes them.
 *
 * <p>Files are llama-imatrix's: the GGUF layout it writes by default (general.type = "imatrix", imatrix.datasets,
 * imatrix.chunk_count, imatrix.chunk_size; per entry the float32 tensors NAME.in_sum2, NAME.counts and NAME.in_sum, in
 * name order), and, read only, its legacy .dat layout (entry count; per entry the name, the call count and the values
 * already divided by the count and multiplied by the call count; then the chunk count and the dataset's name).
 * {@link #importance} divides in float32 exactly as llama-quantize does when it loads a file, so quantizing with an
 * imatrix read here or computed here and written out gives llama-quantize's bytes.
 */
public final class Imatrix {
    private static final String TYPE_KEY = "general.type", DATASETS = "imatrix.datasets", CHUNKS = "imatrix.chunk_count",
            CHUNK_SIZE = "imatrix.chunk_size";

    private final Map<String, double[]> sum2 = new TreeMap<>(), sum = new TreeMap<>();
    private final Map<String, Long> counts = new TreeMap<>();
    private final String file;
    private final List<String> datasets;
    private int chunks;
    private int chunkSize;

    /**
     * @param file     what quantize.imatrix.file records: the imatrix file's name as given, or a description of one computed
     * @param datasets the calibration texts, as imatrix.datasets lists them (quantize.imatrix.dataset is the first)
     */
    public Imatrix(String file, List<String> datasets) {
        this.file = file;
        this.datasets = List.copyOf(datasets);
    }

    public Imatrix(String file, String dataset) {
        this(file, dataset == null ? List.of() : List.of(dataset));
    }

    /** Adds n input rows x[n, cols] seen by {@code tensor}. */
    public synchronized Imatrix add(String tensor, float[] x, int n, int cols) {
        double[] s2 = sum2.computeIfAbsent(tensor, k -> new double[cols]), s = sum.computeIfAbsent(tensor, k -> new double[cols]);
        if (s2.length != cols) throw new IllegalArgumentException(tensor + ": " + cols + " columns, earlier " + s2.length);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                double v = x[i * cols + j];
                s2[j] += v * v;
                s[j] += v;
            }
        }
        counts.merge(tensor, (long) n, Long::sum);
        return this;
    }

    public void setChunks(int n, int size) {
        chunks = n;
        chunkSize = size;
    }

    /** mean x_j^2 for the tensor as llama-quantize computes it from the file (float32 sum / float32 count), or null when the tensor has no entry. */
    public float[] importance(String tensor) {
        double[] s = sum2.get(tensor);
        if (s == null) return null;
        float n = counts.get(tensor);
        float[] r = new float[s.length];
        for (int j = 0; j < s.length; j++) r[j] = n > 0 ? (float) s[j] / n : 1;
        return r;
    }

    /** Entry names in file order (sorted). */
    public List<String> names() {
        return List.copyOf(sum2.keySet());
    }

    public int size() {
        return sum2.size();
    }

    public long count(String tensor) {
        return counts.getOrDefault(tensor, 0L);
    }

    public String file() {
        return file;
    }

    /** The first calibration text (quantize.imatrix.dataset), or null. */
    public String dataset() {
        return datasets.isEmpty() ? null : datasets.getFirst();
    }

    public List<String> datasets() {
        return datasets;
    }

    public int chunks() {
        return chunks;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /**
     * That every entry names a matrix of {@code model} with as many input columns as the entry has values: an imatrix
     * made for another model is refused (llama-quantize only notices mismatched sizes, one tensor at a time).
     */
    public void checkAgainst(GgufFile model, Path source) {
        for (String name : sum2.keySet()) {
            Tensor t = model.find(name).orElseThrow(() -> new BadInputException(source, "entry '" + name + "'",
                    "no such tensor in " + model.path().getFileName() + ": an importance matrix of another model?"));
            if (t.shape().length < 2 || t.cols() != sum2.get(name).length) {
                throw new BadInputException(source, "entry '" + name + "'", sum2.get(name).length + " values for a tensor of " + t.shapeString()
                        + " in " + model.path().getFileName() + ": an importance matrix of another model?");
            }
        }
    }

    /** Writes llama-imatrix's GGUF layout (atomically). */
    public void write(Path out) {
        GgufWriter w = new GgufWriter();
        w.putString(TYPE_KEY, "imatrix");
        w.putStrings(DATASETS, datasets);
        w.putUint32(CHUNKS, chunks);
        w.putUint32(CHUNK_SIZE, chunkSize);
        for (String name : sum2.keySet()) {
            int cols = sum2.get(name).length;
            w.addTensor(name + ".in_sum2", DType.F32, new long[] {cols}, floats(sum2.get(name)));
            w.addTensor(name + ".counts", DType.F32, new long[] {1}, floats(new double[] {counts.get(name)}));
            w.addTensor(name + ".in_sum", DType.F32, new long[] {cols}, floats(sum.get(name)));
        }
        w.write(out);
    }

    private static MemorySegment floats(double[] v) {
        MemorySegment m = MemorySegment.ofArray(new byte[4 * v.length]);
        for (int i = 0; i < v.length; i++) m.set(Dequant.F32, 4L * i, (float) v[i]);
        return m;
    }

    /** Reads a llama-imatrix file, GGUF or legacy .dat; {@code file()} is the path as given, as llama-quantize records it. */
    public static Imatrix read(Path path) {
        if (!Files.isRegularFile(path)) throw new BadInputException(path, "--imatrix", "no such file");
        byte[] magic = new byte[4];
        try (var in = Files.newInputStream(path)) {
            if (in.readNBytes(magic, 0, 4) < 4) throw new BadInputException(path, "header", "too short for an importance matrix");
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
        return new String(magic, StandardCharsets.US_ASCII).equals("GGUF") ? readGguf(path) : readLegacy(path);
    }

    private static Imatrix readGguf(Path path) {
        try (GgufFile g = GgufFile.open(path)) {
            if (!g.has(TYPE_KEY) || !"imatrix".equals(g.value(TYPE_KEY))) {
                throw new BadInputException(path, TYPE_KEY, "is " + (g.has(TYPE_KEY) ? "'" + g.value(TYPE_KEY) + "'" : "missing") + ", not 'imatrix': a model, not an importance matrix?");
            }
            Imatrix im = new Imatrix(path.toString(), g.has(DATASETS) ? g.strings(DATASETS) : List.of());
            im.setChunks(g.has(CHUNKS) ? (int) g.integer(CHUNKS) : 0, g.has(CHUNK_SIZE) ? (int) g.integer(CHUNK_SIZE) : 0);
            for (Tensor t : g.tensors()) {
                String n = t.name();
                if (!n.endsWith(".in_sum2")) continue;
                String name = n.substring(0, n.length() - ".in_sum2".length());
                Tensor c = g.find(name + ".counts").orElseThrow(() -> new BadInputException(path, "tensor '" + name + ".counts'", "missing"));
                if (t.dtype() != DType.F32 || c.dtype() != DType.F32) throw new BadInputException(path, "tensor '" + n + "'", "not F32");
                if (c.elements() != 1 || t.shape().length > 2 && t.shape()[0] != 1) {
                    throw new BadInputException(path, "tensor '" + n + "'", "has " + c.elements() + " matrices (experts); only dense models are supported");
                }
                float[] s2 = Dequant.toFloats(t);
                im.sum2.put(name, toDouble(s2));
                im.counts.put(name, (long) Dequant.toFloats(c)[0]);
                im.sum.put(name, g.find(name + ".in_sum").map(s -> toDouble(Dequant.toFloats(s))).orElse(new double[s2.length]));
            }
            if (im.sum2.isEmpty()) throw new BadInputException(path, "tensors", "no *.in_sum2 entries");
            return im;
        }
    }

    /** The .dat layout: values stored as sums / count * ncall, so importance() = value / ncall reproduces them. */
    private static Imatrix readLegacy(Path path) {
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
        try {
            int n = b.getInt();
            if (n < 1 || n > 1_000_000) throw new BadInputException(path, "entry count", n + " is not a plausible number of entries (neither GGUF nor llama-imatrix's .dat)");
            Map<String, double[]> values = new TreeMap<>();
            Map<String, Long> calls = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 1 || len > 4096) throw new BadInputException(path, "entry " + i, "name length " + len);
                byte[] name = new byte[len];
                b.get(name);
                String key = new String(name, StandardCharsets.UTF_8);
                int ncall = b.getInt(), nval = b.getInt();
                if (nval < 1) throw new BadInputException(path, "entry '" + key + "'", nval + " values");
                double[] v = new double[nval];
                for (int j = 0; j < nval; j++) v[j] = b.getFloat();
                values.put(key, v);
                calls.put(key, (long) ncall);
            }
            int chunks = b.remaining() >= 4 ? b.getInt() : 0;
            List<String> datasets = new ArrayList<>();
            if (b.remaining() >= 4) {
                int len = b.getInt();
                if (len > 0 && len <= b.remaining()) {
                    byte[] ds = new byte[len];
                    b.get(ds);
                    datasets.add(new String(ds, StandardCharsets.UTF_8));
                }
            }
            Imatrix im = new Imatrix(path.toString(), datasets);
            im.setChunks(chunks, 0);
            values.forEach((k, v) -> {
                im.sum2.put(k, v);
                im.sum.put(k, new double[v.length]);
                im.counts.put(k, Math.max(1, calls.get(k))); // llama-quantize takes the values as they are when ncall is 0
            });
            return im;
        } catch (java.nio.BufferUnderflowException e) {
            throw new BadInputException(path, "entries", "truncated (neither GGUF nor a whole llama-imatrix .dat file)");
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Entries as read or accumulated, for reports: name to column count. */
    public Map<String, Integer> shape() {
        Map<String, Integer> r = new TreeMap<>();
        sum2.forEach((k, v) -> r.put(k, v.length));
        return Collections.unmodifiableMap(r);
    }
}
