package org.slim4j.io;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/** A file (or set of shards) of named tensors, memory-mapped: safetensors, GGUF or ONNX initializers. */
public interface TensorFile extends AutoCloseable {

    Path path();

    /** Every tensor, in file order. */
    List<Tensor> tensors();

    default Optional<Tensor> find(String name) {
        return tensors().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The named tensor, or a BadInputException naming this file and the missing tensor. */
    default Tensor tensor(String name) {
        return find(name).orElseThrow(() -> new BadInputException(path(), name, "tensor not found"));
    }

    @Override
    void close();
}
