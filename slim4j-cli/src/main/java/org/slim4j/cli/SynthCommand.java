package org.slim4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.convert.SynthGguf;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a random-weight GGUF with the shape of a real model (for benchmarks; llama.cpp loads it too).",
            "Shapes: smollm2-135m, qwen2.5-0.5b, llama-3.2-1b, tiny."})
final class SynthCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", defaultValue = "smollm2-135m", description = "Model shape (default: ${DEFAULT-VALUE}).") String shape;
    @Option(names = "--type", defaultValue = "Q8_0", description = "Weight type: F16, Q8_0, Q4_0, Q4_K_M, ... (default: ${DEFAULT-VALUE}).") String type;
    @Option(names = {"-o", "--output"}, required = true, description = "Output .gguf file.") Path output;
    @Option(names = "--seed", defaultValue = "1234", description = "Random seed (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--tokenizer", description = "GGUF whose tokenizer.ggml.* to use (default: the tiny fixture's, ../shared/fixtures/tiny-llama-rand-Q8_0.gguf).")
    Path tokenizer;

    @Override
    public Integer call() {
        SynthGguf.Shape s;
        LlamaFileType ft;
        try {
            s = SynthGguf.Shape.byName(shape);
            ft = LlamaFileType.byName(type);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--shape/--type", null, e.getMessage());
        }
        Path tok = tokenizer != null ? tokenizer : defaultTokenizer();
        if (!Files.isRegularFile(tok)) throw new BadInputException(tok, "--tokenizer", "file not found");
        long t0 = System.nanoTime();
        SynthGguf.write(s, ft, seed, tok, output);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, %s, %.1f MB) in %.1f s%n", output, shape, ft,
                output.toFile().length() / 1e6, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static Path defaultTokenizer() {
        String home = System.getProperty("slim4j.home", ".");
        return Path.of(home).resolve("../shared/fixtures/tiny-llama-rand-Q8_0.gguf").normalize();
    }
}
