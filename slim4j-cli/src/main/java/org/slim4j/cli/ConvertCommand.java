package org.slim4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a model; the output's form says to what:",
            "  a Hugging Face decoder folder -> OUT.gguf (unquantized weights, llama.cpp's Q/K row permutation);",
            "  a .gguf file -> a Hugging Face folder (quantized GGUF tensors dequantized exactly to F32);",
            "  a compressed encoder folder (from 'slim4j compress') -> OUT.onnx that ONNX Runtime runs (8-bit layers as",
            "  QDQ, 4-bit as MatMulNBits), written into the graph of the model it was compressed from."})
final class ConvertCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "IN", description = "A Hugging Face folder, a .gguf file or a compressed encoder folder.") String in;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The .gguf or .onnx file, or the folder, to write.") Path out;
    @Option(names = "--type", paramLabel = "T", description = "HF -> GGUF: matrices as f32, f16 or bf16 (default: as stored).") String type;
    @Option(names = "--graph", paramLabel = "ONNX", description = "-> ONNX: the original encoder's .onnx file or built-in name (default: the folder's _name_or_path).") String graph;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        Slim4j.convert(in, out, type, graph);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s in %.1f s%n", out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
