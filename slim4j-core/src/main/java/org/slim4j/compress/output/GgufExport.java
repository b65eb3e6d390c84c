package org.slim4j.compress.output;

import org.slim4j.util.TempFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.convert.HfToGguf;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.io.gguf.Imatrix;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Progress;

/**
 * A Llama-family model quantized to one of llama.cpp's file types (Q8_0, Q4_0, Q4_K_M, Q6_K, ...) as a GGUF that
 * llama.cpp runs: a Hugging Face folder is first converted to an F32 GGUF beside the output (deleted after), then
 * {@link GgufQuantizer} encodes every matrix as llama-quantize does. The importance matrix, when asked for, comes from
 * the calibration batch as llama-imatrix computes it: the mean of x_j^2 over the tokens each weight matrix reads.
 */
public final class GgufExport {
    /** What was written: the type of every tensor, those that took the fallback, the file's size and parameters. */
    public record Result(GgufQuantizer.Result types, long bytes, long parameters, long matrixParameters, long matrixBits,
                         java.util.List<org.slim4j.compress.calib.LayerResult> layers) {
        public double bitsPerWeight() {
            return 8.0 * bytes / parameters;
        }

        /** Bits per weight of the quantized matrices alone, block scales included. */
        public double matrixBitsPerWeight() {
            return (double) matrixBits / matrixParameters;
        }
    }

    private GgufExport() {}

    public static Result write(Path model, Path out, LlamaFileType type, DType fallback, boolean pure, Imatrix imatrix) {
        return write(model, out, GgufQuantizer.Options.of(type).pure(pure).fallback(fallback).imatrix(imatrix), null);
    }

    /** How GPTQ rounds (null: round-to-nearest): the calibration sequences, act-order, dampening and what the calibration was. */
    public record Gptq(int[][] sequences, boolean actOrder, double dampening, String calibration) {}

    /** What {@link #write(Path, Path, GgufQuantizer.Options, Gptq)} made: the plain result, and GPTQ's per-tensor lines (empty without it). */
    public static Result write(Path model, Path out, GgufQuantizer.Options options, Gptq gptq) {
        return withGguf(model, out, src -> {
            GgufQuantizer.Result r;
            java.util.List<org.slim4j.compress.calib.LayerResult> layers = java.util.List.of();
            try {
                if (gptq == null) {
                    r = GgufQuantizer.quantize(src, out, options);
                } else {
                    GgufCalibrated.Result c = GgufCalibrated.write(src, out, options, gptq.sequences(), gptq.actOrder(), gptq.dampening(), gptq.calibration());
                    r = c.types();
                    layers = c.layers();
                }
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                throw new BadInputException(model, "--scheme " + options.fileType().name().replace("MOSTLY_", "").toLowerCase(java.util.Locale.ROOT), e.getMessage());
            }
            return summary(r, out, layers);
        });
    }

    /** The result's sizes, read back from the written file. */
    public static Result summary(GgufQuantizer.Result r, Path out, java.util.List<org.slim4j.compress.calib.LayerResult> layers) {
        long params = 0, matrixParams = 0, matrixBits = 0;
        try (GgufFile g = GgufFile.open(out)) {
            for (Tensor t : g.tensors()) {
                params += t.elements();
                if (t.dtype().isQuantized()) {
                    matrixParams += t.elements();
                    matrixBits += 8 * t.data().byteSize();
                }
            }
        }
        try {
            return new Result(r, Files.size(out), params, matrixParams, matrixBits, layers);
        } catch (IOException e) {
            throw new UncheckedIOException("sizing " + out, e);
        }
    }

    /** Runs {@code job} on {@code model} as a GGUF: a GGUF as it is, a Hugging Face folder converted to F32 beside {@code out} (deleted after). */
    public static <R> R withGguf(Path model, Path out, java.util.function.Function<Path, R> job) {
        Path parent = out.toAbsolutePath().getParent();
        Path f32 = null;
        try {
            Files.createDirectories(parent);
            Path src = model;
            if (Files.isDirectory(model)) {
                f32 = TempFiles.track(Files.createTempFile(parent, "." + out.getFileName(), ".f32.gguf"));
                HfToGguf.convert(model, f32, DType.F32);
                src = f32;
            }
            return job.apply(src);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + out, e);
        } finally {
            if (f32 != null) TempFiles.delete(f32);
        }
    }

    /** llama-imatrix's statistics of {@code model}'s weight matrices over the calibration sequences, keyed by GGUF name. */
    public static Imatrix imatrix(LlamaModel model, int[][] sequences, String file, String dataset) {
        Map<String, String> gguf = ggufNames(model);
        Imatrix im = new Imatrix(file, dataset);
        LlamaBlocks blocks = new LlamaBlocks(model, sequences);
        Progress p = new Progress("imatrix", blocks.blocks());
        Map<String, Integer> cols = new HashMap<>();
        float[] x = blocks.embed();
        for (int b = 0; b < blocks.blocks(); b++) {
            blocks.forward(b, x, (linears, in, n) -> {
                int c = cols.computeIfAbsent(linears[0], k -> blocks.weight(k).cols());
                for (String l : linears) im.add(gguf.getOrDefault(l, l), in, n, c);
            });
            p.step(b + 1, "block " + b);
        }
        im.setChunks(sequences.length, sequences.length == 0 ? 0 : sequences[0].length);
        return im;
    }

    /** The model's tensor names (Hugging Face or GGUF, as loaded) to GGUF's. */
    private static Map<String, String> ggufNames(LlamaModel m) {
        LlamaWeights.Names hf = LlamaWeights.Names.HF, gg = LlamaWeights.Names.GGUF;
        String[][] pairs = {{hf.wq(), gg.wq()}, {hf.wk(), gg.wk()}, {hf.wv(), gg.wv()}, {hf.wo(), gg.wo()},
            {hf.wGate(), gg.wGate()}, {hf.wUp(), gg.wUp()}, {hf.wDown(), gg.wDown()}};
        Map<String, String> r = new HashMap<>();
        for (int l = 0; l < m.config().layers(); l++) for (String[] p : pairs) r.put(p[0].formatted(l), p[1].formatted(l));
        return r;
    }
}
