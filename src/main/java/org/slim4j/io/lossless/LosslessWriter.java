package org.slim4j.io.lossless;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;

/**
 * Writes tensors as one safetensors file with every F32, F16 and BF16 tensor of at least {@link #MIN_ELEMENTS} values
 * losslessly coded ({@link ExponentCoding}; layout in docs/FORMATS.md, "lossless"), in parallel on the current pool.
 * A tensor that coding would not shrink, and every other type, is stored as it is. The coded tensors are held in
 * memory until the file is written (atomically, by {@link SafetensorsWriter}).
 */
public final class LosslessWriter {
    /** Smaller tensors (norms, biases) stay plain: the code table and lane offsets would outweigh the saving. */
    public static final long MIN_ELEMENTS = 4096;

    /** One tensor as stored: its bytes plain, and the bytes the file holds for it (coded or not). */
    public record Row(String name, DType dtype, long elements, long plainBytes, long storedBytes, boolean coded) {}

    private LosslessWriter() {}

    /** Writes {@code tensors} (with the {@code metadata} strings kept) to {@code out}; returns each tensor's sizes. */
    public static List<Row> write(List<Tensor> tensors, Map<String, String> metadata, Path out) {
        ExponentCoding.Parts[] parts = new ExponentCoding.Parts[tensors.size()];
        IntStream.range(0, tensors.size()).parallel().forEach(i -> {
            Tensor t = tensors.get(i);
            if (FloatFields.of(t.dtype()) == null || t.elements() < MIN_ELEMENTS || t.elements() * (t.dtype().blockBytes - 1) > Integer.MAX_VALUE) return;
            ExponentCoding.Parts p = ExponentCoding.encode(t);
            if (p.bytes() < t.data().byteSize()) parts[i] = p;
        });
        ObjectMapper om = new ObjectMapper();
        ObjectNode meta = om.createObjectNode().put("version", LosslessFile.VERSION).put("chunk", ExponentCoding.CHUNK)
                .put("lanes", ExponentCoding.LANES).put("max_code_bits", Huffman.MAX_BITS);
        ObjectNode entries = meta.putObject("tensors");
        SafetensorsWriter w = new SafetensorsWriter().metadata(metadata);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            ExponentCoding.Parts p = parts[i];
            if (p == null) {
                w.add(t);
                rows.add(new Row(t.name(), t.dtype(), t.elements(), t.data().byteSize(), t.data().byteSize(), false));
                continue;
            }
            var shape = entries.putObject(t.name()).put("dtype", t.dtype().safetensorsName).putArray("shape");
            for (long d : t.shape()) shape.add(d);
            byte[] lengths = new byte[256];
            for (int s = 0; s < 256; s++) lengths[s] = (byte) p.lengths()[s];
            bytes(w, t.name() + LosslessFile.LENGTHS, DType.U8, MemorySegment.ofArray(lengths));
            bytes(w, t.name() + LosslessFile.LANES, DType.I64, p.lanes());
            bytes(w, t.name() + LosslessFile.STREAM, DType.U8, p.stream());
            bytes(w, t.name() + LosslessFile.RAW, DType.U8, p.raw());
            bytes(w, t.name() + LosslessFile.CRC, DType.I32, p.crc());
            rows.add(new Row(t.name(), t.dtype(), t.elements(), t.data().byteSize(), p.bytes(), true));
        }
        w.metadata(LosslessFile.METADATA, meta.toString());
        w.write(out);
        return rows;
    }

    private static void bytes(SafetensorsWriter w, String name, DType type, MemorySegment data) {
        w.add(name, type, new long[] {data.byteSize() / type.blockBytes}, data);
    }
}
