package org.slim4j.compress.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.calib.BertBlocks;
import org.slim4j.compress.calib.LayerwiseCompressor;
import org.slim4j.compress.lowrank.Asvd;
import org.slim4j.compress.lowrank.LowRankCorrected;
import org.slim4j.compress.lowrank.RankBudget;
import org.slim4j.compress.lowrank.RankRule;
import org.slim4j.compress.lowrank.SparsePlusLowRank;
import org.slim4j.compress.lowrank.Spectrum;
import org.slim4j.compress.lowrank.SpectrumProbe;
import org.slim4j.compress.lowrank.Svd;
import org.slim4j.compress.prune.Magnitude;
import org.slim4j.compress.prune.SparseGpt;
import org.slim4j.compress.prune.SparsityPattern;
import org.slim4j.compress.prune.Wanda;
import org.slim4j.compress.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.model.bert.BertModel;

/**
 * Every figure of the pruning / low-rank report, appended to a file as it is measured:
 * {@code java ... CompressionReport OUT SECTION...} with sections prune, lowrank, mixed, decoder.
 */
public final class CompressionReport {
    private static Path out;

    static void emit(String line) {
        System.out.println(line);
        try {
            Files.writeString(out, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Args: OUT then tasks in order, each "decoder" or MODEL:SECTION (MODEL minilm|bge; SECTION prune-core|prune-extra|lowrank|mixed). */
    public static void main(String[] args) {
        out = Path.of(args[0]);
        int pairs = Integer.getInteger("pairs", 250), calib = Integer.getInteger("calib", 64);
        Map<String, EncoderBench> benches = new java.util.HashMap<>();
        for (String task : List.of(args).subList(1, args.length)) {
            if (task.equals("decoder")) {
                decoder();
                continue;
            }
            String model = task.split(":")[0], section = task.split(":")[1];
            EncoderBench b = benches.computeIfAbsent(model, m -> {
                EncoderBench e = new EncoderBench(m, pairs, calib);
                emit(String.format(java.util.Locale.ROOT, "== %s: %d dev pairs (%d sentences), %d calibration sentences (STS-B train); original STS %.2f",
                        m, pairs, e.evalSentences.size(), calib, e.referenceSpearman));
                return e;
            });
            switch (section) {
                case "prune-core" -> prune(b, SparsityPattern.unstructured(0.5), SparsityPattern.nm(2, 4));
                case "prune-extra" -> prune(b, SparsityPattern.unstructured(0.3), SparsityPattern.unstructured(0.7), SparsityPattern.nm(4, 8));
                case "lowrank" -> lowRank(b);
                case "mixed" -> mixed(b);
                default -> throw new IllegalArgumentException(task);
            }
        }
    }

    static void prune(EncoderBench b, SparsityPattern... patterns) {
        for (SparsityPattern p : patterns) {
            for (Compressor c : new Compressor[] {new Magnitude(p), new Wanda(p), new SparseGpt(p)}) {
                emit(b.model + " " + b.run(c.name() + " " + p, EncoderBench.linearsOnly(c)));
            }
        }
    }

    /** Spectra of the original model's layers, (whitened when aware), from one unchanged pass. */
    static Map<String, Spectrum> spectra(EncoderBench b, boolean aware) {
        SpectrumProbe probe = new SpectrumProbe(aware);
        try (BertModel m = b.fresh()) {
            new LayerwiseCompressor(EncoderBench.linearsOnly(probe)).run(new BertBlocks(m, b.calibration));
        }
        return probe.spectra();
    }

    static void lowRank(EncoderBench b) {
        Map<String, Spectrum> plain = spectra(b, false), white = spectra(b, true);
        for (double ratio : new double[] {0.6, 0.45, 0.3}) {
            long budget = 0;
            for (Spectrum s : plain.values()) budget += (long) RankRule.ratioRank(s.rows(), s.cols(), ratio) * (s.rows() + s.cols());
            Map<String, Integer> plainRanks = RankBudget.allocate(plain, budget), whiteRanks = RankBudget.allocate(white, budget);
            String tag = String.format(java.util.Locale.ROOT, "params %.2f (%d)", ratio, budget);
            emit(b.model + " " + b.run("svd uniform " + tag, EncoderBench.linearsOnly(new Svd(RankRule.ratio(ratio)))));
            emit(b.model + " " + b.run("asvd uniform " + tag, EncoderBench.linearsOnly(new Asvd(RankRule.ratio(ratio)))));
            emit(b.model + " " + b.run("svd budget " + tag + " = " + RankBudget.parameters(plain, plainRanks), EncoderBench.linearsOnly(new Svd(RankRule.perLayer(plainRanks)))));
            emit(b.model + " " + b.run("asvd budget " + tag + " = " + RankBudget.parameters(white, whiteRanks), EncoderBench.linearsOnly(new Asvd(RankRule.perLayer(whiteRanks)))));
            emit(b.model + "   ranks (asvd budget): " + whiteRanks.values());
        }
    }

    static void mixed(EncoderBench b) {
        // sparse + low-rank vs low-rank alone at about the same storage
        emit(b.model + " " + b.run("asvd uniform params 0.5", EncoderBench.linearsOnly(new Asvd(RankRule.ratio(0.5)))));
        emit(b.model + " " + b.run("asvd 0.4 + 5% sparse residual", EncoderBench.linearsOnly(new SparsePlusLowRank(RankRule.ratio(0.4), 0.05, 5, true))));
        emit(b.model + " " + b.run("svd 0.4 + 5% sparse residual", EncoderBench.linearsOnly(new SparsePlusLowRank(RankRule.ratio(0.4), 0.05, 5, false))));
        // quantization + low-rank correction
        for (int bits : new int[] {3, 4}) {
            Rtn rtn = new Rtn(new QuantScheme(bits, 128, true), false);
            emit(b.model + " " + b.run("rtn w" + bits + " g128", EncoderBench.linearsOnly(rtn)));
            emit(b.model + " " + b.run("rtn w" + bits + " g128 + svd rank 16 (lq-lora)", EncoderBench.linearsOnly(new LowRankCorrected(rtn, w -> 16, false))));
            emit(b.model + " " + b.run("rtn w" + bits + " g128 + asvd rank 16 (eora)", EncoderBench.linearsOnly(new LowRankCorrected(rtn, w -> 16, true))));
        }
        // prune -> quantize
        SparsityPattern p24 = SparsityPattern.nm(2, 4);
        QuantScheme w4 = new QuantScheme(4, 128, true);
        emit(b.model + " " + b.run("sparsegpt 2:4 (fp16)", EncoderBench.linearsOnly(new SparseGpt(p24))));
        emit(b.model + " " + b.run("sparsegpt 2:4 + w4 g128 joint (one pass)", EncoderBench.linearsOnly(new SparseGpt(p24, 0.01, w4))));
        emit(b.model + " " + b.run("sparsegpt 2:4 then rtn w4 g128 (2 stages)", EncoderBench.linearsOnly(new SparseGpt(p24), new Rtn(w4, false))));
    }

    static void decoder() {
        DecoderBench d = new DecoderBench(16, 4);
        emit("== tiny-llama-rand: 16 calibration windows of 128 (wikitext-2), KLD on " + d.chunks.count() + " chunks of 128 (tiny shakespeare)");
        for (SparsityPattern p : new SparsityPattern[] {SparsityPattern.unstructured(0.5), SparsityPattern.nm(2, 4)}) {
            for (Compressor c : new Compressor[] {new Magnitude(p), new Wanda(p), new SparseGpt(p)}) {
                emit("llama " + d.run(c.name() + " " + p, DecoderBench.blockLinears(c)));
            }
        }
        emit("llama " + d.run("svd params 0.5", DecoderBench.blockLinears(new Svd(RankRule.ratio(0.5)))));
        emit("llama " + d.run("asvd params 0.5", DecoderBench.blockLinears(new Asvd(RankRule.ratio(0.5)))));
        emit("llama " + d.run("asvd 0.4 + 5% sparse", DecoderBench.blockLinears(new SparsePlusLowRank(RankRule.ratio(0.4), 0.05, 3, true))));
        Rtn rtn = new Rtn(new QuantScheme(3, 128, true), false);
        emit("llama " + d.run("rtn w3 g128", DecoderBench.blockLinears(rtn)));
        emit("llama " + d.run("rtn w3 g128 + asvd rank 16 (eora)", DecoderBench.blockLinears(new LowRankCorrected(rtn, w -> 16, true))));
        emit("llama " + d.run("sparsegpt 2:4 + w4 g128 joint", DecoderBench.blockLinears(new SparseGpt(SparsityPattern.nm(2, 4), 0.01, new QuantScheme(4, 128, true)))));
    }
}
