package org.slim4j.compress.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.output.CompressedTensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.util.TempFiles;

/**
 * The compressed model as compressed-tensors: the model's own folder layout (config, tokenizer, tensors it did not
 * compress) from {@link EffectiveWeightsWriter}, then every compressed layer stored in its compressed form (packed
 * integers and scales, lookup tables) by {@link CompressedTensorsWriter}. Scales are fp16, as the reports count them.
 */
public final class CompressedTensorsModelWriter implements CompressedModelWriter {

    @Override
    public void write(Path out, AutoCloseable model, Map<String, CompressedLinear> layers, String source) {
        Path parent = out.toAbsolutePath().getParent();
        Path staging = null;
        try {
            Files.createDirectories(parent);
            staging = TempFiles.track(Files.createTempDirectory(parent, "." + out.getFileName() + ".dense"));
            new EffectiveWeightsWriter().write(staging, model, layers, source);
            new CompressedTensorsWriter(DType.F16).write(staging, layers, out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + out, e);
        } finally {
            if (staging != null) TempFiles.delete(staging);
        }
    }
}
