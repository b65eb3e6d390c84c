package org.slim4j.io.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * Writes one safetensors file: tensors in the order added, the header padded with spaces so the data section
 * starts 8-byte aligned. The file appears atomically (written beside the target, then renamed over it).
 */
public final class SafetensorsWriter {
    private record Item(String name, DType dtype, long[] shape, MemorySegment bytes) {}

    private final List<Item> items = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> all) {
        metadata.putAll(all);
        return this;
    }

    /** A tensor whose bytes are already in {@code dtype}'s little-endian layout; they are read at {@link #write}. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, MemorySegment bytes) {
        if (dtype.safetensorsName == null) throw new IllegalArgumentException(dtype + " has no safetensors name");
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, d);
        if (dtype.bytesFor(elements) != bytes.byteSize()) {
            throw new IllegalArgumentException(name + ": " + bytes.byteSize() + " bytes for " + elements + " x " + dtype);
        }
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
        items.add(new Item(name, dtype, shape.clone(), bytes));
        return this;
    }

    public SafetensorsWriter add(Tensor t) {
        return add(t.name(), t.dtype(), t.shape(), t.data());
    }

    /** Float values stored as F32, F16 or BF16 (round to nearest even). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        MemorySegment seg = org.slim4j.tensor.Floats.encode(values, dtype);
        return add(name, dtype, shape, seg);
    }

    public void write(Path target) {
        ObjectNode header = new ObjectMapper().createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject(SafetensorsHeader.METADATA);
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Item it : items) {
            ObjectNode e = header.putObject(it.name);
            e.put("dtype", it.dtype.safetensorsName);
            ArrayNode shape = e.putArray("shape");
            for (long d : it.shape) shape.add(d);
            ArrayNode off = e.putArray("data_offsets");
            off.add(offset);
            offset += it.bytes.byteSize();
            off.add(offset);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        try {
            org.slim4j.util.AtomicFiles.writeChannel(target, ch -> {
                writeFully(ch, head);
                for (Item it : items) {
                    // Chunks keep each ByteBuffer view under 2 GB and avoid a heap copy of mapped tensors.
                    long size = it.bytes.byteSize();
                    for (long p = 0; p < size; p += 1 << 26) {
                        writeFully(ch, it.bytes.asSlice(p, Math.min(1 << 26, size - p)).asByteBuffer());
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + target, e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
