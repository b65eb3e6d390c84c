package org.slim4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.output.GgufExport;
import org.slim4j.compress.pipeline.Compression;
import org.slim4j.io.gguf.Imatrix;
import org.slim4j.model.Models;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Threads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"Importance matrix of a decoder's weight matrices over calibration text, written in llama-imatrix's GGUF layout",
            "(llama-quantize --imatrix and slim4j compress --imatrix-file read it): per matrix the sums of x_j^2 and x_j over the tokens it reads, and the token count."})
final class ImatrixCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "Decoder (GGUF file or Hugging Face folder).") String model;
    @Option(names = {"-f", "--calib"}, required = true, paramLabel = "FILE", description = "Calibration text, one or more.") List<Path> calib;
    @Option(names = "--samples", paramLabel = "N", defaultValue = "64", description = "Calibration sequences (default: 64).") int samples;
    @Option(names = {"-c", "--seq-len"}, paramLabel = "L", defaultValue = "512", description = "Tokens per sequence (default: 512, llama-imatrix's -c).") int seqLen;
    @Option(names = "--seed", defaultValue = "42", description = "Calibration sampling seed.") long seed;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Output imatrix file (GGUF).") Path out;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all cores).") int threads;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (samples < 1) throw new BadInputException("--samples", null, "must be >= 1, got " + samples);
        if (seqLen < 2) throw new BadInputException("--seq-len", null, "must be >= 2, got " + seqLen);
        Compression.checkOutput(model, out);
        AtomicFiles.checkWritable(out, "-o");
        Imatrix im = Threads.call(threads, () -> {
            try (LlamaModel l = Models.decoder(model)) {
                int[][] seqs = CalibrationText.tokens(calib, l.tokenizer(), samples, seqLen, seed);
                return GgufExport.imatrix(l, seqs, out.getFileName().toString(), calib.getFirst().toString());
            }
        });
        im.write(out);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %d matrices, %d chunks of %d tokens%n", out, im.size(), im.chunks(), im.chunkSize());
        return 0;
    }
}
