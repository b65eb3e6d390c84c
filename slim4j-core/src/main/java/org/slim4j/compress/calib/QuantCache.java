package org.slim4j.compress.calib;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * Every (tensor, type) a search visits, quantized once and kept as its exact float32 decoding in a memory-mapped
 * scratch file (deleted on close): swapping a tensor's type is then a pointer change, and the forward pass runs the
 * blocked float32 kernel on it. Nothing is held on the heap; the operating system pages the file as memory allows.
 *
 * <p>Each tensor is encoded the way the GGUF writer encodes it ({@link GgufQuantizer#encode}: importance-weighted
 * where {@code importance} has the tensor's entry, else the reference rounding), so the search scores the very values
 * a file without GPTQ would hold.
 */
public final class QuantCache implements AutoCloseable {
    private record Key(String tensor, DType type) {}

    private final Function<String, Tensor> originals;
    private final Function<String, float[]> importance;
    private final Map<Key, Tensor> cached = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final Path file;
    private final FileChannel channel;
    private long used;

    /**
     * @param originals  the float tensor of each name (the model's original weights)
     * @param importance each tensor's importance (an imatrix entry), or null for the reference rounding
     */
    public QuantCache(Function<String, Tensor> originals, Function<String, float[]> importance) {
        this.originals = originals;
        this.importance = importance;
        try {
            file = Files.createTempFile("slim4j-search-", ".f32");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        } catch (IOException e) {
            throw new UncheckedIOException("creating the search's scratch file", e);
        }
    }

    /** {@code tensor} rounded to {@code type} and decoded, as an F32 tensor of the original's name and shape. */
    public synchronized Tensor get(String tensor, DType type) {
        return cached.computeIfAbsent(new Key(tensor, type), k -> encode(originals.apply(tensor), type));
    }

    /** Bytes of float32 the scratch file holds. */
    public synchronized long bytes() {
        return used;
    }

    private Tensor encode(Tensor t, DType type) {
        long rows = t.rows();
        int cols = Math.toIntExact(t.cols());
        float[] qw = type.isQuantized() && importance != null ? importance.apply(t.name()) : null;
        MemorySegment f32;
        try {
            f32 = channel.map(FileChannel.MapMode.READ_WRITE, used, rows * cols * 4L, arena);
        } catch (IOException e) {
            throw new UncheckedIOException("mapping the search's scratch file " + file, e);
        }
        used += rows * cols * 4L;
        try (Arena tmp = Arena.ofShared()) {
            MemorySegment q = GgufQuantizer.encode(t, type, qw, tmp);
            long rb = type.bytesFor(cols);
            LongStream.range(0, rows).parallel().forEach(r -> {
                float[] row = new float[cols];
                Dequant.decode(type, q, r * rb, row, 0, cols);
                MemorySegment.copy(row, 0, f32, Dequant.F32, r * cols * 4L, cols);
            });
        }
        return new Tensor(t.name(), DType.F32, t.shape().clone(), f32);
    }

    @Override
    public synchronized void close() {
        cached.clear();
        arena.close();
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + file, e);
        }
    }
}
