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
import org.slim4j.compress.lowrank.SvdLlm;
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
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.model.bert.BertModel;

/**
 * Every figure of the pruning / low-rank report, appended to a file as it is measured:
 * {@code java ... CompressionReport OUT SECTION...} with sections quant, prune, lowrank, mixed, decoder.
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
            if (task.equals("decoder-blocks")) {
                decoderBlocks();
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
                case "quant" -> quant(b);
                case "prune-core" -> prune(b, SparsityPattern.unstructured(0.5), SparsityPattern.nm(2, 4));
                case "prune-extra" -> prune(b, SparsityPattern.unstructured(0.3), SparsityPattern.unstructured(0.7), SparsityPattern.nm(4, 8));
                case "lowrank" -> lowRank(b);
                case "lowrank-alloc" -> lowRankAlloc(b);
                case "lowrank-budget" -> lowRankBudget(b);
                case "lowrank-uniform" -> {
                    for (double ratio : new double[] {0.6, 0.45, 0.3}) {
                        emit(b.model + " " + b.run("svd uniform params " + ratio, EncoderBench.linearsOnly(new Svd(RankRule.ratio(ratio)))));
                        emit(b.model + " " + b.run("svd-llm uniform params " + ratio, EncoderBench.linearsOnly(new SvdLlm(RankRule.ratio(ratio)))));
                    }
                }
                case "mixed" -> mixed(b);
                case "structured" -> structured(b);
                default -> throw new IllegalArgumentException(task);
            }
        }
    }

    /** RTN, GPTQ and AWQ on the linears at W4 g32 and W3 g32 asymmetric (issue 4: each beats RTN at 4 and 3 bits). */
    static void quant(EncoderBench b) {
        for (int bits : new int[] {4, 3}) {
            QuantScheme s = new QuantScheme(bits, 32, false);
            for (Compressor c : new Compressor[] {new Rtn(s, false), new org.slim4j.compress.quant.Gptq(s), new org.slim4j.compress.quant.Awq(s)}) {
                emit(b.model + " " + b.run(c.name() + " " + s, EncoderBench.linearsOnly(c)));
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
        return b.spectra(aware);
    }

    /**
     * The default budget allocation (log error, floor) against the uniform ratio at the same parameters: truncated
     * from one set of whitened spectra, and (-Dseq=true) through the layer-wise ASVD pass as well.
     */
    static void lowRankBudget(EncoderBench b) {
        Map<String, Spectrum> white = spectra(b, true);
        for (double ratio : new double[] {0.6, 0.45, 0.3}) {
            long budget = RankBudget.uniformBudget(white, ratio);
            Map<String, Integer> uniform = new java.util.LinkedHashMap<>(), ranks = RankBudget.allocate(white, budget);
            for (var e : white.entrySet()) uniform.put(e.getKey(), RankRule.ratioRank(e.getValue().rows(), e.getValue().cols(), ratio));
            String tag = String.format(java.util.Locale.ROOT, "params %.2f (%d / %d)", ratio, RankBudget.parameters(white, uniform), RankBudget.parameters(white, ranks));
            emit(b.model + " " + b.truncated("truncated uniform " + tag, white, uniform));
            emit(b.model + " " + b.truncated("truncated budget  " + tag, white, ranks));
            if (Boolean.getBoolean("seq")) {
                emit(b.model + " " + b.run("svd-llm uniform " + tag, EncoderBench.linearsOnly(new SvdLlm(RankRule.ratio(ratio)))));
                emit(b.model + " " + b.run("svd-llm budget  " + tag, EncoderBench.linearsOnly(new SvdLlm(RankRule.perLayer(ranks)))));
            }
            emit(b.model + "   ranks (budget): " + ranks.values());
        }
    }

    static void lowRank(EncoderBench b) {
        Map<String, Spectrum> plain = spectra(b, false), white = spectra(b, true);
        for (double ratio : new double[] {0.6, 0.45, 0.3}) {
            long budget = 0;
            for (Spectrum s : plain.values()) budget += (long) RankRule.ratioRank(s.rows(), s.cols(), ratio) * (s.rows() + s.cols());
            Map<String, Integer> plainRanks = RankBudget.allocate(plain, budget, RankBudget.Criterion.ENERGY_PER_PARAMETER), whiteRanks = RankBudget.allocate(white, budget, RankBudget.Criterion.ENERGY_PER_PARAMETER);
            String tag = String.format(java.util.Locale.ROOT, "params %.2f (%d)", ratio, budget);
            emit(b.model + " " + b.run("svd uniform " + tag, EncoderBench.linearsOnly(new Svd(RankRule.ratio(ratio)))));
            emit(b.model + " " + b.run("svd-llm uniform " + tag, EncoderBench.linearsOnly(new SvdLlm(RankRule.ratio(ratio)))));
            emit(b.model + " " + b.run("svd budget/energy-per-param " + tag + " = " + RankBudget.parameters(plain, plainRanks), EncoderBench.linearsOnly(new Svd(RankRule.perLayer(plainRanks)))));
            emit(b.model + " " + b.run("svd-llm budget/energy-per-param " + tag + " = " + RankBudget.parameters(white, whiteRanks), EncoderBench.linearsOnly(new SvdLlm(RankRule.perLayer(whiteRanks)))));
            emit(b.model + "   ranks (asvd budget): " + whiteRanks.values());
        }
    }

    /** Budget allocation by plain energy share (the default) against the uniform ratio. */
    static void lowRankAlloc(EncoderBench b) {
        Map<String, Spectrum> white = spectra(b, true);
        for (double ratio : new double[] {0.6, 0.45, 0.3}) {
            long budget = 0;
            for (Spectrum s : white.values()) budget += (long) RankRule.ratioRank(s.rows(), s.cols(), ratio) * (s.rows() + s.cols());
            Map<String, Integer> ranks = RankBudget.allocate(white, budget, RankBudget.Criterion.ENERGY);
            String tag = String.format(java.util.Locale.ROOT, "params %.2f (%d)", ratio, budget);
            emit(b.model + " " + b.run("svd-llm budget/energy " + tag + " = " + RankBudget.parameters(white, ranks), EncoderBench.linearsOnly(new SvdLlm(RankRule.perLayer(ranks)))));
            emit(b.model + "   ranks (asvd budget/energy): " + ranks.values());
        }
    }

    static void mixed(EncoderBench b) {
        // sparse + low-rank vs low-rank alone
        emit(b.model + " " + b.run("svd-llm uniform params 0.5", EncoderBench.linearsOnly(new SvdLlm(RankRule.ratio(0.5)))));
        emit(b.model + " " + b.run("svd-llm 0.4 + 5% sparse residual", EncoderBench.linearsOnly(new SparsePlusLowRank(RankRule.ratio(0.4), 0.05, 3, true))));
        // quantization + low-rank correction
        Rtn rtn = new Rtn(new QuantScheme(3, 128, true), false);
        emit(b.model + " " + b.run("rtn w3 g128", EncoderBench.linearsOnly(rtn)));
        emit(b.model + " " + b.run("rtn w3 g128 + asvd rank 16 (eora)", EncoderBench.linearsOnly(new LowRankCorrected(rtn, w -> 16, true))));
        // prune -> quantize in one pass
        SparsityPattern p24 = SparsityPattern.nm(2, 4);
        QuantScheme w4 = new QuantScheme(4, 128, true);
        emit(b.model + " " + b.run("sparsegpt 2:4 -> gptq w4 g128 (recipe stages, fused)",
                org.slim4j.compress.prune.PruneThenQuantize.fuse(EncoderBench.linearsOnly(new SparseGpt(p24), new org.slim4j.compress.quant.Gptq(w4)))));
        emit(b.model + " " + b.run("sparsegpt 2:4 + w4 g128 joint (one method)", EncoderBench.linearsOnly(new SparseGpt(p24, 0.01, w4))));
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
        emit("llama " + d.run("svd-llm params 0.5", DecoderBench.blockLinears(new SvdLlm(RankRule.ratio(0.5)))));
        emit("llama " + d.run("svd-llm 0.4 + 5% sparse", DecoderBench.blockLinears(new SparsePlusLowRank(RankRule.ratio(0.4), 0.05, 3, true))));
        Rtn rtn = new Rtn(new QuantScheme(3, 128, true), false);
        emit("llama " + d.run("rtn w3 g128", DecoderBench.blockLinears(rtn)));
        emit("llama " + d.run("rtn w3 g128 + asvd rank 16 (eora)", DecoderBench.blockLinears(new LowRankCorrected(rtn, w -> 16, true))));
        emit("llama " + d.run("sparsegpt 2:4 + w4 g128 joint", DecoderBench.blockLinears(new SparseGpt(SparsityPattern.nm(2, 4), 0.01, new QuantScheme(4, 128, true)))));
    }

    /** Embedding time of the eval sentences, best of two (the first run also warms the JIT). */
    static double embedSeconds(BertModel m, List<String> sentences) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            long t = System.nanoTime();
            m.embed(sentences);
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
        }
        return best;
    }

    static void structured(EncoderBench b) {
        Path root;
        try {
            root = Files.createTempDirectory("slim4j-structured");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String name = b.model.equals("bge") ? "bge-small-en-v1.5" : "all-minilm-l6-v2";
        var conv = b.model.equals("bge") ? org.slim4j.model.bert.Conventions.BGE : org.slim4j.model.bert.Conventions.ALL_MINILM;
        Path tok = org.slim4j.model.bert.DefaultModels.files(name)[1];
        org.slim4j.compress.structured.BertImportance imp;
        try (BertModel m = b.fresh()) {
            imp = org.slim4j.compress.structured.BertImportance.measure(m, b.calibration);
        }
        emit(b.model + "   block influence " + java.util.Arrays.toString(imp.blockInfluence()) + ", FFN influence " + java.util.Arrays.toString(imp.ffnInfluence()));
        record Cut(String label, List<Integer> layers, List<List<Integer>> heads, List<List<Integer>> chans) {}
        int layers = imp.blockInfluence().length;
        List<Integer> all = org.slim4j.compress.structured.BertShrink.range(layers);
        List<Cut> cuts = List.of(new Cut("original (re-written)", all, null, null),
                new Cut("heads -25%", all, imp.keepHeads(0.25), null),
                new Cut("FFN channels -50%", all, null, imp.keepChannels(0.5)),
                new Cut("heads -25% + FFN -50%", all, imp.keepHeads(0.25), imp.keepChannels(0.5)),
                new Cut("blocks -1 (least influence)", imp.keepLayers(1), null, null),
                new Cut("blocks -2 (least influence)", imp.keepLayers(2), null, null),
                new Cut("FFN skipped in 2 blocks", all, null, imp.skipFfn(2)));
        double base = 0;
        for (Cut c : cuts) {
            Path dir = root.resolve(c.label.replaceAll("[^a-z0-9]+", "-"));
            try (BertModel m = b.fresh()) {
                org.slim4j.compress.structured.BertFolder.write(org.slim4j.compress.structured.BertShrink.of(m, c.layers, c.heads, c.chans), conv, tok, dir);
            }
            try (BertModel small = org.slim4j.model.bert.BertLoader.loadHf(dir, conv)) {
                double secs = embedSeconds(small, b.evalSentences);
                if (base == 0) base = secs;
                long bytes = Files.size(dir.resolve("model.safetensors"));
                var row = b.measure(c.label, small, 32, 0);
                emit(String.format(java.util.Locale.ROOT, "%s %-44s cos %.4f  top10 %.3f  STS %.2f  file %.1f MB  embed %.2fs (x%.2f)  layers %d heads %s ffn %s",
                        b.model, c.label, row.fidelity().meanCosine(), row.fidelity().top10Overlap(), row.spearman(), bytes / 1e6, secs, base / secs,
                        small.config().layers(), small.config().layerHeads(), small.config().layerIntermediate()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    static void decoderBlocks() {
        DecoderBench d = new DecoderBench(16, 4);
        try {
            double[] bi;
            try (var m = org.slim4j.model.llama.LlamaLoader.loadHf(org.slim4j.testutil.Fixtures.TINY_LLAMA)) {
                bi = org.slim4j.compress.structured.LlamaBlockRemoval.blockInfluence(m, d.calibration);
            }
            emit("llama   block influence " + java.util.Arrays.toString(bi));
            for (int remove : new int[] {1, 2}) {
                Path dir = Files.createTempDirectory("slim4j-llama-blocks");
                org.slim4j.compress.structured.LlamaBlockRemoval.write(org.slim4j.testutil.Fixtures.TINY_LLAMA, dir,
                        org.slim4j.compress.structured.LlamaBlockRemoval.keep(bi, remove));
                emit(String.format(java.util.Locale.ROOT, "llama %s  file %.1f MB -> %.1f MB", d.evaluate("blocks -" + remove, dir),
                        Files.size(org.slim4j.testutil.Fixtures.TINY_LLAMA.resolve("model.safetensors")) / 1e6, Files.size(dir.resolve("model.safetensors")) / 1e6));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
