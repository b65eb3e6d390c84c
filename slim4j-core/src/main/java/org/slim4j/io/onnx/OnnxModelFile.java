package org.slim4j.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slim4j.io.TensorFile;
import org.slim4j.io.onnx.proto.Onnx.GraphProto;
import org.slim4j.io.onnx.proto.Onnx.ModelProto;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * An ONNX model: its initializers as off-heap tensors, and its graph (nodes, inputs, outputs) without them.
 * The file is mapped and parsed with aliasing, so weight bytes are never copied onto the heap; each initializer is
 * copied once into this file's arena (aligned, independent of the proto) and the proto's initializer list dropped.
 * The mapping stays open because Constant nodes in the kept graph alias it. External data is rejected.
 */
public final class OnnxModelFile implements TensorFile {
    private final Path path;
    private final Arena arena;
    private final GraphProto graph;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();

    private OnnxModelFile(Path path, Arena arena, GraphProto graph, List<Tensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.graph = graph;
        this.tensors = List.copyOf(tensors);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Tensor t : tensors) m.put(t.name(), t);
        this.byName = m;
        for (NodeProto n : graph.getNodeList()) {
            for (String o : n.getOutputList()) producers.put(o, n);
            for (String i : n.getInputList()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
    }

    public static OnnxModelFile open(Path path) {
        if (!Files.isRegularFile(path)) throw new BadInputException(path, "file", "not found");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                if (ch.size() > Integer.MAX_VALUE) {
                    throw new BadInputException(path, "file", "over 2 GiB; models that large keep weights as external data, which is not supported");
                }
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            ModelProto model;
            try {
                CodedInputStream in = CodedInputStream.newInstance(mapped.asByteBuffer());
                in.enableAliasing(true);
                in.setSizeLimit(Integer.MAX_VALUE);
                model = ModelProto.parseFrom(in);
            } catch (InvalidProtocolBufferException | RuntimeException e) {
                throw new BadInputException(path.toString(), "ModelProto", "not a valid ONNX protobuf (" + firstLine(e) + ")", e);
            }
            if (!model.hasGraph()) throw new BadInputException(path, "graph", "missing: not an ONNX model");
            GraphProto g = model.getGraph();
            List<Tensor> tensors = new ArrayList<>(g.getInitializerCount());
            for (TensorProto tp : g.getInitializerList()) tensors.add(OnnxTensors.toTensor(tp, arena, path.toString(), "initializer"));
            GraphProto kept = g.toBuilder().clearInitializer().build();
            return new OnnxModelFile(path, arena, kept, tensors);
        } catch (IOException e) {
            arena.close();
            throw new BadInputException(path, "file", "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
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

    /** The graph without its initializers (they are {@link #tensors()}). */
    public GraphProto graph() {
        return graph;
    }

    public List<NodeProto> nodes() {
        return graph.getNodeList();
    }

    /** The node whose output is {@code value}, if a node (not an input or initializer) produces it. */
    public Optional<NodeProto> producer(String value) {
        return Optional.ofNullable(producers.get(value));
    }

    public List<NodeProto> consumers(String value) {
        return consumers.getOrDefault(value, Collections.emptyList());
    }

    /** A constant value by name: an initializer, or the output of a Constant node (copied into this file's arena). */
    public Optional<Tensor> constant(String value) {
        Tensor t = byName.get(value);
        if (t != null) return Optional.of(t);
        NodeProto n = producers.get(value);
        if (n == null || !n.getOpType().equals("Constant")) return Optional.empty();
        return n.getAttributeList().stream().filter(a -> a.getName().equals("value") && a.hasT()).findFirst()
                .map(a -> OnnxTensors.toTensor(a.getT().toBuilder().setName(value).build(), arena, path.toString(), "node[" + n.getName() + "].value"));
    }

    /** The arena that owns every tensor of this file; callers may allocate derived tensors in it. */
    public Arena arena() {
        return arena;
    }

    @Override
    public void close() {
        arena.close();
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
