package org.slim4j.compress.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.calib.BertBlocks;
import org.slim4j.compress.calib.LayerResult;
import org.slim4j.compress.calib.LayerwiseCompressor;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.Sts;
import org.slim4j.eval.StsB;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.model.bert.FastBert;
import org.slim4j.testutil.Fixtures;

/**
 * Compress an encoder's six linears per layer through the layer-wise pipeline, then compare its embeddings of STS-B
 * dev sentences with the original's: the measurement every pruning / low-rank figure of the report comes from.
 * Calibration sentences come from STS-B train, evaluation from dev, so they never overlap.
 */
public final class EncoderBench {
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    public record Row(String method, Fidelity fidelity, double spearman, double bitsPerWeight, long linearParams) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-44s cos %.4f  top10 %.3f  STS %.2f  %.2f bits/w", method, fidelity.meanCosine(),
                    fidelity.top10Overlap(), spearman, bitsPerWeight);
        }
    }

    public final String model;
    private final Supplier<BertModel> loader;
    public final List<String> calibration;
    public final StsB eval;
    public final List<String> evalSentences;
    public final float[][] reference;
    public final double referenceSpearman;

    /** @param pairs STS-B dev pairs to evaluate on (their sentences are the fidelity set); calib: train sentences */
    public EncoderBench(String model, int pairs, int calib) {
        this.model = model;
        this.loader = model.equals("bge") ? DefaultModels::bgeSmallEnV15 : DefaultModels::allMiniLmL6V2;
        this.calibration = org.slim4j.compress.calib.CalibrationText.sentences(List.of(Fixtures.DATA.resolve("stsb-train.tsv")), calib, 1);
        StsB dev = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv"));
        this.eval = new StsB(dev.pairs().subList(0, pairs), 0);
        this.evalSentences = eval.sentences();
        try (BertModel m = loader.get()) {
            this.reference = FastBert.embed(m, THREADS, evalSentences);
            this.referenceSpearman = spearman(reference);
        }
    }

    public BertModel fresh() {
        return loader.get();
    }

    /** Only the encoder layers' linears (embeddings are left alone: they are lookups, not matrix products). */
    public static CompressionPlan linearsOnly(Compressor... stages) {
        return name -> name.startsWith("encoder.layer.") || name.contains(".encoder.layer.") ? List.of(stages) : List.of();
    }

    public Row run(String label, CompressionPlan plan) {
        try (BertModel m = fresh()) {
            List<LayerResult> results = new LayerwiseCompressor(plan).run(new BertBlocks(m, calibration));
            long bits = 0, weights = 0;
            for (LayerResult r : results) {
                bits += r.storageBits();
                weights += (long) r.rows() * r.cols();
            }
            return measure(label, m, weights == 0 ? 32 : (double) bits / weights, weights);
        }
    }

    /** Spectra of the original model's linears (whitened by their calibration inputs when aware), from one unchanged pass. */
    public java.util.Map<String, org.slim4j.compress.lowrank.Spectrum> spectra(boolean aware) {
        var probe = new org.slim4j.compress.lowrank.SpectrumProbe(aware);
        try (BertModel m = fresh()) {
            new LayerwiseCompressor(linearsOnly(probe)).run(new BertBlocks(m, calibration));
        }
        return probe.spectra();
    }

    /**
     * Every layer truncated from the one set of spectra at its rank: many rank allocations compared on the same
     * calibration statistics, one SVD per layer in all (the layer-wise pass would redo them for every allocation).
     */
    public Row truncated(String label, java.util.Map<String, org.slim4j.compress.lowrank.Spectrum> spectra, java.util.Map<String, Integer> ranks) {
        try (BertModel m = fresh()) {
            BertBlocks blocks = new BertBlocks(m, List.of());
            long bits = 0, weights = 0;
            for (var e : ranks.entrySet()) {
                var f = spectra.get(e.getKey()).truncate(e.getValue(), "svd-llm");
                blocks.setWeight(e.getKey(), f.effectiveWeight());
                bits += f.storageBits();
                weights += (long) f.rows() * f.cols();
            }
            return measure(label, m, (double) bits / weights, weights);
        }
    }

    public Row measure(String label, BertModel m, double bitsPerWeight, long params) {
        // the fast path packs the current (compressed) weights; structurally pruned layers take the exact path
        float[][] e = FastBert.supports(m.config()) ? FastBert.embed(m, THREADS, evalSentences) : m.embed(evalSentences);
        return new Row(label, Fidelity.of(reference, e), spearman(e), bitsPerWeight, params);
    }

    public double spearman(float[][] e) {
        java.util.Map<String, float[]> by = new java.util.HashMap<>();
        for (int i = 0; i < e.length; i++) by.put(evalSentences.get(i), e[i]);
        return Sts.spearman100(eval, by::get);
    }

    public static List<Row> rows() {
        return new ArrayList<>();
    }
}
