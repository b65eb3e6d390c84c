package org.slim4j.io.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slim4j.io.TensorFile;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * A safetensors checkpoint, memory-mapped: one file, a folder with {@code model.safetensors}, or a folder with a
 * sharded {@code model.safetensors.index.json}. Tensor bytes are slices of the mapping (never copied to the heap);
 * {@link #close()} unmaps every shard, after which the tensors must not be touched.
 */
public final class SafetensorsFile implements TensorFile {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private final Path path;
    private final Arena arena;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, List<Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = List.copyOf(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Tensor t : tensors) m.put(t.name(), t);
        this.byName = m;
    }

    /** Opens a .safetensors file, or a folder holding model.safetensors or model.safetensors.index.json. */
    public static SafetensorsFile open(Path path) {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(INDEX))) return openSharded(path.resolve(INDEX));
            if (Files.isRegularFile(path.resolve(SINGLE))) return open(path.resolve(SINGLE));
            throw new BadInputException(path, SINGLE, "folder has neither " + SINGLE + " nor " + INDEX);
        }
        if (!Files.isRegularFile(path)) throw new BadInputException(path, "path", "file not found");
        if (path.getFileName().toString().endsWith(".index.json")) return openSharded(path);
        Arena arena = Arena.ofShared();
        try {
            SafetensorsHeader.Parsed p = map(path, arena);
            return new SafetensorsFile(path, arena, p.tensors(), p.metadata());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile openSharded(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new BadInputException(index, "index", "not valid JSON: " + firstLine(e));
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new BadInputException(index, "weight_map", "missing or not an object");
        }
        Map<String, List<String>> namesByShard = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) throw new BadInputException(index, "weight_map['" + e.getKey() + "']", "not a file name");
            String shard = e.getValue().asText();
            if (shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new BadInputException(index, "weight_map['" + e.getKey() + "']", "shard name '" + shard + "' leaves the folder");
            }
            namesByShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
        }
        Path dir = index.toAbsolutePath().getParent();
        Arena arena = Arena.ofShared();
        try {
            List<Tensor> all = new ArrayList<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : namesByShard.entrySet()) {
                Path shard = dir.resolve(e.getKey());
                if (!Files.isRegularFile(shard)) throw new BadInputException(index, "weight_map", "shard " + e.getKey() + " not found");
                SafetensorsHeader.Parsed p = map(shard, arena);
                Map<String, Tensor> inShard = new LinkedHashMap<>();
                for (Tensor t : p.tensors()) inShard.put(t.name(), t);
                for (String name : e.getValue()) {
                    Tensor t = inShard.get(name);
                    if (t == null) throw new BadInputException(shard, "tensor '" + name + "'", "listed in " + INDEX + " but not in this shard");
                    all.add(t);
                }
                metadata.putAll(p.metadata());
            }
            return new SafetensorsFile(index, arena, all, metadata);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsHeader.Parsed map(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new BadInputException(file, "header length", "file is " + size + " bytes, too short for the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (lenBuf.hasRemaining() && ch.read(lenBuf, lenBuf.position()) > 0) {}
            long headerLen = lenBuf.getLong(0);
            SafetensorsHeader.checkLength(file, headerLen, size);
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            while (header.hasRemaining()) {
                if (ch.read(header, 8 + header.position()) < 0) throw new BadInputException(file, "header", "file ended inside the header");
            }
            MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return SafetensorsHeader.parse(file, header.array(), whole, 8 + headerLen);
        } catch (IOException e) {
            throw new BadInputException(file, "file", "cannot read: " + firstLine(e));
        }
    }

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

    /** The {@code __metadata__} string map (merged over shards); empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        arena.close();
    }

    static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
