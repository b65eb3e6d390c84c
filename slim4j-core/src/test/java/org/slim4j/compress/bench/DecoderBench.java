package org.slim4j.compress.bench;

import java.util.List;
import java.util.Locale;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.calib.LayerResult;
import org.slim4j.compress.calib.LayerwiseCompressor;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.KlDivergence;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.testutil.Fixtures;

/**
 * The decoder path: tiny-llama-rand's block linears compressed through the layer-wise pipeline (calibrated on
 * WikiText-2 windows), then the KL divergence of its next-token distributions from the original's on Tiny
 * Shakespeare chunks. Random weights: the numbers check that every method runs on a decoder, not quality.
 */
public final class DecoderBench {
    public final int[][] calibration;
    public final Chunks chunks;
    private final float[][] base;

    public DecoderBench(int calibSamples, int chunkCount) {
        try (LlamaModel m = LlamaLoader.loadHf(Fixtures.TINY_LLAMA)) {
            calibration = CalibrationText.tokens(List.of(Fixtures.DATA.resolve("wikitext-2-raw-test.txt")), m.tokenizer(), calibSamples, 128, 1);
            String text;
            try {
                text = java.nio.file.Files.readString(Fixtures.DATA.resolve("tinyshakespeare.txt")).substring(0, 20_000);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            chunks = Chunks.of(m.tokenizer().encode(text, false), 128, chunkCount, -1);
            base = new float[chunks.count()][];
            for (int c = 0; c < chunks.count(); c++) base[c] = chunks.scoredLogits(m, c);
        }
    }

    public static CompressionPlan blockLinears(org.slim4j.compress.Compressor... stages) {
        return name -> name.startsWith("model.layers.") ? List.of(stages) : List.of();
    }

    public String run(String label, CompressionPlan plan) {
        try (LlamaModel m = LlamaLoader.loadHf(Fixtures.TINY_LLAMA)) {
            List<LayerResult> results = new LayerwiseCompressor(plan).run(new LlamaBlocks(m, calibration));
            long bits = 0, weights = 0;
            for (LayerResult r : results) {
                bits += r.storageBits();
                weights += (long) r.rows() * r.cols();
            }
            KlDivergence.Result k = KlDivergence.run(m, chunks, c -> base[c]);
            return String.format(Locale.ROOT, "%-44s KLD %.5f  same-top %.1f%%  %.2f bits/w", label, k.meanKld(), 100 * k.sameTop(),
                    (double) bits / Math.max(1, weights));
        }
    }

    /** KLD of a model folder (e.g. one with blocks removed) against the original. */
    public String evaluate(String label, java.nio.file.Path dir) {
        KlDivergence.Result k = kld(dir);
        return String.format(Locale.ROOT, "%-44s KLD %.5f  same-top %.1f%%", label, k.meanKld(), 100 * k.sameTop());
    }

    public KlDivergence.Result kld(java.nio.file.Path dir) {
        try (LlamaModel m = LlamaLoader.loadHf(dir)) {
            return KlDivergence.run(m, chunks, c -> base[c]);
        }
    }
}
