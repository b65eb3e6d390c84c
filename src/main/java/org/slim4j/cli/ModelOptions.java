package org.slim4j.cli;

import org.slim4j.tensor.kernel.EngineOptions;
import picocli.CommandLine.Option;

/** Options every model command shares. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "Model: a Hugging Face folder (config.json + safetensors), a .gguf or .onnx file, or a built-in name (all-minilm-l6-v2, bge-small-en-v1.5).")
    String model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all cores).")
    int threads;

    /** The fast engines' options with these threads (0: all cores). */
    EngineOptions engine() {
        return EngineOptions.defaults().withThreads(org.slim4j.util.Threads.check(threads));
    }
}
