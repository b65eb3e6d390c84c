package org.slim4j.compress.calib;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.OutputError;
import org.slim4j.compress.quant.GgufBlocks;
import org.slim4j.compress.quant.GgufGptq;
import org.slim4j.tensor.DType;
import org.slim4j.util.Progress;

/**
 * Calibration of a decoder loaded from a GGUF (tensor names are GGUF's) for calibrated rounding into ggml blocks.
 * {@link #statistics} runs the original model once over the batch and keeps every matrix's input statistics (the
 * Gram matrix X^T X; layers that share an input share one), the output matrix's too (the final norm's output), which
 * is what per-tensor candidates and error curves are measured against. {@link #sequential} is GPTQ's sequential
 * scheme: the token embedding first (as the output matrix, against the original model's output Hessian, since with
 * tied embeddings one tensor is both), then block by block, each block's inputs produced by the blocks already
 * rounded.
 */
public final class GgufCalibration {
    /** The name under which {@link #statistics} keeps the output matrix's input statistics. */
    public static final String OUTPUT = "output";

    private GgufCalibration() {}

    /** Input statistics of every linear (by weight name) and of the output matrix ({@link #OUTPUT}) on the original model. */
    public static Map<String, InputStats> statistics(LlamaBlocks blocks) {
        Map<String, InputStats> stats = new LinkedHashMap<>();
        statistics(blocks, stats::putAll);
        return stats;
    }

    /**
     * The same statistics handed over as they are made, one block's at a time (keyed by weight name), then the output
     * matrix's ({@link #OUTPUT}); none is kept here, so a caller that uses each block's at once holds one block's Gram
     * matrices instead of the model's (Llama-3.2-1B: 640 MB a block, 10 GB in all).
     */
    public static void statistics(LlamaBlocks blocks, java.util.function.Consumer<Map<String, InputStats>> perBlock) {
        Progress p = new Progress("calibration statistics", blocks.blocks() + 1);
        float[] x = blocks.embed();
        for (int b = 0; b < blocks.blocks(); b++) {
            Map<String, InputStats> stats = new LinkedHashMap<>();
            blocks.forward(b, x, (linears, in, n) -> {
                InputStats s = stats.get(linears[0]);
                if (s == null) {
                    s = new InputStats(blocks.weight(linears[0]).cols(), true);
                    for (String l : linears) stats.put(l, s);
                }
                s.add(in, n);
            });
            p.step(b + 1, "block " + b);
            perBlock.accept(stats);
        }
        float[] y = blocks.outputInput(x);
        InputStats out = new InputStats(blocks.hidden(), true);
        out.add(y, y.length / blocks.hidden());
        p.step(blocks.blocks() + 1, "output");
        perBlock.accept(Map.of(OUTPUT, out));
    }

    /** The output matrix's input statistics alone: the original model run over the batch, its final norm's outputs. */
    public static InputStats outputStatistics(LlamaBlocks blocks) {
        Progress p = new Progress("output statistics", blocks.blocks());
        float[] x = blocks.embed();
        for (int b = 0; b < blocks.blocks(); b++) {
            blocks.forward(b, x, null);
            p.step(b + 1, "block " + b);
        }
        float[] y = blocks.outputInput(x);
        InputStats out = new InputStats(blocks.hidden(), true);
        out.add(y, y.length / blocks.hidden());
        return out;
    }

    /**
     * GPTQ's sequential pass into the given types: the token embedding against {@code outputStats} first, then each
     * block's linears on the inputs the rounded model produces. Every rounded tensor goes to {@code sink} as it is made.
     */
    public static List<LayerResult> sequential(LlamaBlocks blocks, Map<String, DType> types, GgufGptq gptq, InputStats outputStats,
                                               BiConsumer<String, GgufBlocks> sink) {
        String emb = blocks.extraTensors().getFirst();
        List<LayerResult> results = new java.util.ArrayList<>();
        if (outputStats != null && types.get(emb) != null && types.get(emb).isQuantized()) {
            long t0 = System.nanoTime();
            LinearWeight w = blocks.weight(emb);
            GgufBlocks q = (GgufBlocks) gptq.compress(w, outputStats);
            float[] eff = q.effectiveWeight();
            blocks.setWeight(emb, eff);
            sink.accept(emb, q);
            results.add(new LayerResult(emb, w.rows(), w.cols(), q.describe() + ", as the output matrix", q.storageBits(),
                    OutputError.relative(w.w(), eff, w.rows(), w.cols(), outputStats), (System.nanoTime() - t0) / 1e9));
            new Progress("gptq " + emb, 1).step(1, String.format(Locale.ROOT, "rel. output error %.5f", results.getLast().relError()));
        }
        CompressionPlan plan = name -> name.startsWith("blk.") && types.get(name) != null && types.get(name).isQuantized() ? List.of(gptq) : List.of();
        results.addAll(new LayerwiseCompressor(plan).restoringEachBlock().onCompressed((n, c) -> sink.accept(n, (GgufBlocks) c)).run(blocks));
        return results;
    }
}
