package org.slim4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.convert.GgufToHf;
import org.slim4j.convert.HfToGguf;

import org.slim4j.tensor.DType;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a Llama-family model between a Hugging Face folder and GGUF (unquantized weights),",
            "with llama.cpp's Q/K row permutation. HF folder -> .gguf file; .gguf file -> HF folder (quantized",
            "GGUF tensors are dequantized exactly to F32)."})
final class ConvertCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "IN", description = "A Hugging Face folder or a .gguf file.") Path in;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The .gguf file or the folder to write.") Path out;
    @Option(names = "--type", paramLabel = "T", description = "HF -> GGUF: matrices as f32, f16 or bf16 (default: as stored).") String type;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        switch (Files.isDirectory(in) ? "HF" : "GGUF") {
            case "HF" -> {
                if (Files.isDirectory(out)) throw new BadInputException(out, "--output", "is a folder; converting a Hugging Face folder writes a .gguf file");
                HfToGguf.convert(in, out, matrixType());
            }
            case "GGUF" -> {
                if (type != null) throw new BadInputException("--type", null, "applies only to HF -> GGUF");
                if (Files.isRegularFile(out)) throw new BadInputException(out, "--output", "is a file; converting a GGUF writes a Hugging Face folder");
                GgufToHf.convert(in, out);
            }
            default -> throw new BadInputException(in, "--model", "convert takes a Hugging Face folder or a .gguf file");
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s in %.1f s%n", out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private DType matrixType() {
        if (type == null) return null;
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new BadInputException("--type", null, "'" + type + "' is not one of f32, f16, bf16");
        };
    }
}
