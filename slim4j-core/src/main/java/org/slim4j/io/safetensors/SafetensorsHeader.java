package org.slim4j.io.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/** Validation of a safetensors header against the format README; every failure names the file and the field. */
final class SafetensorsHeader {
    static final long MAX_HEADER = 100L * 1000 * 1000;
    static final String METADATA = "__metadata__";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    record Parsed(List<Tensor> tensors, Map<String, String> metadata) {}

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private SafetensorsHeader() {}

    static void checkLength(Path file, long headerLen, long fileSize) {
        if (headerLen < 2) throw new BadInputException(file, "header length", headerLen + " is too small for a JSON object");
        if (headerLen > MAX_HEADER) throw new BadInputException(file, "header length", headerLen + " bytes exceeds the 100 MB limit");
        if (headerLen > fileSize - 8) {
            throw new BadInputException(file, "header length", headerLen + " bytes runs past the end of the " + fileSize + "-byte file");
        }
    }

    /** Parses the header text and slices each tensor out of {@code whole}, whose data section starts at {@code dataStart}. */
    static Parsed parse(Path file, byte[] headerBytes, MemorySegment whole, long dataStart) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file, "header", "not valid UTF-8");
        }
        if (!text.startsWith("{")) throw new BadInputException(file, "header", "does not start with '{'");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (Exception e) {
            throw new BadInputException(file, "header", "not valid JSON: " + SafetensorsFile.firstLine(e));
        }
        if (root == null || !root.isObject()) throw new BadInputException(file, "header", "not a JSON object");

        long dataSize = whole.byteSize() - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                entries.add(entry(file, e.getKey(), e.getValue(), dataSize));
            }
        }

        // The README asks for a contiguous, fully-indexed buffer: sorted by offset, each tensor starts where the last ended.
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry en : sorted) {
            if (en.begin != expected) {
                String problem = en.begin < expected ? "overlaps the previous tensor, which ends at " + expected
                        : "leaves a gap: the previous tensor ends at " + expected;
                throw new BadInputException(file, "tensor '" + en.name + "'", "data_offsets [" + en.begin + ", " + en.end + "] " + problem);
            }
            expected = en.end;
        }
        if (expected != dataSize) {
            throw new BadInputException(file, "data_offsets", "tensors cover " + expected + " bytes but the data section holds " + dataSize);
        }

        List<Tensor> tensors = new ArrayList<>(entries.size());
        for (Entry en : entries) {
            tensors.add(new Tensor(en.name, en.dtype, en.shape, whole.asSlice(dataStart + en.begin, en.end - en.begin)));
        }
        return new Parsed(tensors, metadata);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) throw new BadInputException(file, METADATA, "must be an object of strings");
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw new BadInputException(file, METADATA + "['" + m.getKey() + "']", "value must be a string, got " + m.getValue().getNodeType());
            }
            out.put(m.getKey(), m.getValue().asText());
        }
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataSize) {
        String field = "tensor '" + name + "'";
        if (!node.isObject()) throw new BadInputException(file, field, "entry must be an object");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw new BadInputException(file, field, "dtype missing or not a string");
        DType dtype = DType.fromSafetensorsName(dt.asText())
                .orElseThrow(() -> new BadInputException(file, field, "dtype '" + dt.asText() + "' is not supported"));

        JsonNode sh = node.get("shape");
        if (sh == null || !sh.isArray()) throw new BadInputException(file, field, "shape missing or not an array");
        long[] shape = new long[sh.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new BadInputException(file, field, "shape[" + i + "] = " + d + " is not a non-negative integer");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw new BadInputException(file, field, "shape " + Arrays.toString(shape) + " overflows");
            }
        }

        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) throw new BadInputException(file, field, "data_offsets must be [begin, end]");
        for (int i = 0; i < 2; i++) {
            JsonNode o = off.get(i);
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
                throw new BadInputException(file, field, "data_offsets[" + i + "] = " + o + " is not a non-negative integer");
            }
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (end < begin) throw new BadInputException(file, field, "data_offsets [" + begin + ", " + end + "] end before they begin");
        if (end > dataSize) {
            throw new BadInputException(file, field, "data_offsets [" + begin + ", " + end + "] run past the " + dataSize + "-byte data section");
        }
        long need;
        try {
            need = Math.multiplyExact(elements, (long) dtype.blockBytes);
        } catch (ArithmeticException e) {
            throw new BadInputException(file, field, "shape " + Arrays.toString(shape) + " x " + dtype + " overflows");
        }
        if (need != end - begin) {
            throw new BadInputException(file, field, "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but shape " + Arrays.toString(shape) + " x " + dtype + " needs " + need);
        }
        return new Entry(name, dtype, shape, begin, end);
    }
}
