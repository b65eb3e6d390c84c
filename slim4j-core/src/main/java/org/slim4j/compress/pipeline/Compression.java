package org.slim4j.compress.pipeline;

import org.slim4j.compress.output.CompressedModelWriter;
import java.util.LinkedHashSet;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.calib.BertBlocks;
import org.slim4j.compress.calib.BlockModel;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.calib.EvoSearch;
import org.slim4j.compress.calib.LayerResult;
import org.slim4j.compress.calib.LayerwiseCompressor;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.compress.output.CompressedTensorsModelWriter;
import org.slim4j.compress.output.EffectiveWeightsWriter;
import org.slim4j.compress.output.GgufBudget;
import org.slim4j.compress.output.GgufExport;
import org.slim4j.compress.output.GgufSearch;
import org.slim4j.compress.output.Inventory;
import org.slim4j.compress.recipe.Recipe;
import org.slim4j.compress.recipe.Schemes;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.EmbeddingQuality;
import org.slim4j.eval.KlDivergence;
import org.slim4j.eval.LogitCache;
import org.slim4j.eval.StsB;
import org.slim4j.io.ModelFiles;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.io.gguf.Imatrix;
import org.slim4j.io.gguf.TensorTypeRule;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.model.Models;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.FastBert;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;
import org.slim4j.util.DataFiles;
import org.slim4j.util.PeakMemory;
import org.slim4j.util.Threads;

/**
 * Compression of a whole model in one call: calibration (layer by layer, on the float32 reference engine), the
 * recipe's methods, the output (compressed-tensors, dense float32, or a GGUF for llama.cpp's types), and the quality
 * of the result next to the original's (encoders: STS-B Spearman and embedding fidelity; decoders: llama.cpp's KL
 * divergence statistics on held-out text), written as a report beside the output. The CLI's {@code compress} is a
 * thin layer over this.
 */
public final class Compression {
    /** The best 4-bit recipe within 4.5 bits per weight, scales included, embeddings quantized too. */
    public static final String BEST = "w4g64-gptq-asym-emb";

    private Compression() {}

    /**
     * {@code scheme}: a slim4j shortcut (w8, w4g64-gptq-asym-emb, ...; see {@link Schemes}), a llama.cpp file
     * type (q4_k_m, q8_0, ...), which writes a GGUF, or {@code lossless} ({@link Lossless}: the same bits, entropy-coded).
     */
    public static CompressionResult run(String model, String scheme, CompressOptions o) {
        if (Lossless.SCHEME.equalsIgnoreCase(scheme)) return Lossless.run(model, o);
        LlamaFileType gguf = ggufType(scheme);
        if (gguf != null) {
            checkOutput(model, o.output());
            if (!o.output().getFileName().toString().endsWith(".gguf")) throw new BadInputException(o.output(), "-o", "GGUF schemes write a .gguf file");
            AtomicFiles.checkWritable(o.output(), "-o");
            DType fallback = fallbackType(o.fallback());
            return Threads.call(o.threads(), () -> gguf(model, scheme, gguf, fallback, o));
        }
        return run(model, Schemes.recipe(scheme), o, scheme);
    }

    /** A recipe's stages, layer by layer on calibration text. */
    public static CompressionResult run(String model, Recipe recipe, CompressOptions o) {
        return run(model, recipe, o, null);
    }

    private static CompressionResult run(String model, Recipe recipe, CompressOptions o, String scheme) {
        if (o.imatrix() || o.fallback() != null || o.pure() || o.gptq() || !o.tensorTypes().isEmpty() || o.imatrixFile() != null
                || o.targetBytes() != null || o.targetBpw() != null || o.searchGenerations() > 0) {
            throw new BadInputException("--imatrix/--fallback/--pure/--gptq/--tensor-type/--target-size/--target-bpw", null, "only for GGUF schemes (q8_0, q4_0, q4_k_m, q6_k, ...)");
        }
        checkOutput(model, o.output());
        AtomicFiles.checkWritable(o.output(), "-o");
        return Threads.call(o.threads(), () -> {
            long t0 = System.nanoTime();
            ObjectNode report = new ObjectMapper().createObjectNode();
            report.put("model", model).put("recipe", recipe.source());
            return switch (Models.kindOf(model)) {
                case ENCODER -> encoder(model, recipe, o, scheme, report, t0);
                case DECODER -> decoder(model, recipe, o, scheme, report, t0);
            };
        });
    }

    private static CompressionResult encoder(String model, Recipe recipe, CompressOptions o, String scheme, ObjectNode report, long t0) {
        try (BertModel b = Models.encoder(model)) {
            Map<String, Inventory.Entry> inventory = Inventory.of(b.weights(), 32);
            List<Path> files = o.calibration() != null ? o.calibration() : List.of(DataFiles.find("stsb-train.tsv"));
            // 1024 STS-B sentences: with 512, all-MiniLM-L6-v2's w4g64-gptq-asym-emb came out 2e-5 below ONNX Runtime
            // int8's mean cosine on 1000 sentences; with 1024 it is above on mean, min and top-10 (0.992562 / 0.987414 /
            // 0.9384 against 0.992037 / 0.983754 / 0.9242), for ~20 s more (the batch runs in chunks: same memory)
            int n = o.samples() != null ? o.samples() : 1024;
            report.put("calibration", files + ", " + n + " sentences, seed " + o.seed());
            BlockModel blocks = new BertBlocks(b, CalibrationText.sentences(files, n, o.seed()));
            check(recipe, blocks);
            StsB dev = StsB.read(DataFiles.find("stsb-dev.tsv"));
            List<String> sentences = dev.sentences();
            float[][] ref = FastBert.embed(b, o.threads(), sentences);
            EmbeddingQuality before = EmbeddingQuality.of(dev, sentences, ref, ref);
            Map<String, CompressedLinear> compressed = new LinkedHashMap<>();
            List<LayerResult> layers = compress(recipe, blocks, compressed);
            double secs = (System.nanoTime() - t0) / 1e9;
            EmbeddingQuality after = EmbeddingQuality.of(dev, sentences, ref, FastBert.embed(b, o.threads(), sentences));
            ObjectNode q = report.putObject("quality");
            q.put("data", "STS-B dev sentences").put("spearman_before", before.spearman()).put("spearman_after", after.spearman())
                    .put("mean_cosine", after.fidelity().meanCosine()).put("p1_cosine", after.fidelity().p1Cosine())
                    .put("min_cosine", after.fidelity().minCosine()).put("top10_overlap", after.fidelity().top10Overlap());
            Written w = write(o, report, model, b, compressed, layers, inventory, secs);
            StringBuilder sb = new StringBuilder(w.line);
            if (o.beforeAfterTable()) {
                sb.append(String.format(Locale.ROOT, "%n%-22s %10s %10s %11s %10s %9s %9s%n", "model", "size MB", "bits/w", "Spearman", "mean cos", "min cos", "top-10"));
                sb.append(String.format(Locale.ROOT, "%-22s %10.2f %10.2f %11.2f %10.5f %9.5f %9.4f%n", "fp32", w.origBits / 8e6, w.origBitsPerWeight(), before.spearman(), 1.0, 1.0, 1.0));
            }
            sb.append(String.format(Locale.ROOT, "%-22s %10.2f %10.3f %11.2f %10.5f %9.5f %9.4f%n", scheme != null ? scheme : "recipe", w.bits / 8e6, w.bitsPerWeight(),
                    after.spearman(), after.fidelity().meanCosine(), after.fidelity().minCosine(), after.fidelity().top10Overlap()));
            sb.append(String.format(Locale.ROOT, "(Spearman x100 on STS-B dev; cosine and top-10 overlap against the fp32 embeddings; 1st-percentile cosine %.5f)%n", after.fidelity().p1Cosine()));
            sb.append(w.wrote);
            return new CompressionResult(o.output(), w.md, w.json, report, sb.toString());
        }
    }

    private static CompressionResult decoder(String model, Recipe recipe, CompressOptions o, String scheme, ObjectNode report, long t0) throws IOException {
        try (LlamaModel l = Models.decoder(model)) {
            Map<String, Inventory.Entry> inventory = Inventory.of(l.weights(), 16);
            List<Path> files = o.calibration() != null ? o.calibration() : List.of(DataFiles.find("kjv-bible.txt"));
            int n = o.samples() != null ? o.samples() : 64;
            report.put("calibration", files + ", " + n + " x " + o.seqLen() + " tokens, seed " + o.seed());
            BlockModel blocks = new LlamaBlocks(l, CalibrationText.tokens(files, l.tokenizer(), n, o.seqLen(), o.seed()));
            check(recipe, blocks);
            Chunks chunks = evalChunks(l, o);
            try (LogitCache base = baseLogits(l, chunks, o)) {
                Map<String, CompressedLinear> compressed = new LinkedHashMap<>();
                List<LayerResult> layers = compress(recipe, blocks, compressed);
                double secs = (System.nanoTime() - t0) / 1e9;
                KlDivergence.Result kld;
                try (FastLlama fast = new FastLlama(l, o.threads(), false)) {
                    kld = KlDivergence.run(fast, chunks, base);
                }
                quality(report, kld, o, chunks);
                Written w = write(o, report, model, l, compressed, layers, inventory, secs);
                return new CompressionResult(o.output(), w.md, w.json, report, kld.table() + w.line + w.wrote);
            }
        }
    }

    /** The original's logits over the evaluation chunks, by the fast engine, in a temporary cache beside the output. */
    private static LogitCache baseLogits(LlamaModel l, Chunks chunks, CompressOptions o) throws IOException {
        try (FastLlama fast = new FastLlama(l, o.threads(), false)) {
            return LogitCache.temporary(fast, chunks, o.output().toAbsolutePath().getParent());
        }
    }

    private static Chunks evalChunks(LlamaModel l, CompressOptions o) throws IOException {
        if (o.evalChunks() == 0) throw new BadInputException("--eval-chunks", null, "0 (no evaluation) is for GGUF schemes; a recipe's report needs at least 1");
        Path text = o.evalText() != null ? o.evalText() : DataFiles.find("wikitext-2-raw-test.txt");
        int[] tokens = l.tokenizer().encode(TextFiles.read(text, "--eval-text"), false);
        if (o.ctx() < 4 || o.ctx() > l.contextLength()) throw new BadInputException("--ctx", null, o.ctx() + " is outside 4.." + l.contextLength());
        if (tokens.length < o.ctx()) throw new BadInputException(text, "--ctx", "text has " + tokens.length + " tokens, fewer than one chunk of " + o.ctx());
        return Chunks.of(tokens, o.ctx(), o.evalChunks(), l.autoBos());
    }

    private static void quality(ObjectNode report, KlDivergence.Result kld, CompressOptions o, Chunks chunks) {
        Path text = o.evalText() != null ? o.evalText() : Path.of("wikitext-2-raw-test.txt");
        ObjectNode q = report.putObject("quality");
        q.put("text", text.getFileName() + ", " + chunks.count() + " chunks of " + chunks.nCtx());
        q.put("mean_kld", kld.meanKld()).put("kld_99", kld.kldPercentile(99)).put("max_kld", kld.maxKld())
                .put("same_top", kld.sameTop()).put("ppl", kld.pplQ()).put("ppl_base", kld.pplBase());
    }

    /** The recipe against the model, before the evaluation and calibration passes spend their time. */
    private static void check(Recipe recipe, BlockModel blocks) {
        recipe.check(linears(blocks), new HashSet<>(blocks.extraTensors()), name -> blocks.weight(name).cols());
    }

    private static Set<String> linears(BlockModel blocks) {
        Set<String> linears = new LinkedHashSet<>();
        for (int b = 0; b < blocks.blocks(); b++) linears.addAll(blocks.linears(b));
        return linears;
    }

    private static List<LayerResult> compress(Recipe r, BlockModel blocks, Map<String, CompressedLinear> sink) {
        Set<String> linears = linears(blocks);
        return new LayerwiseCompressor(r.plan(linears)).onCompressed(sink::put).run(blocks);
    }

    /** What {@link #write} stored: sizes in bits, and the lines it reports. */
    private record Written(long params, long bits, long origBits, Path md, Path json, String line, String wrote) {
        double bitsPerWeight() {
            return (double) bits / params;
        }

        double origBitsPerWeight() {
            return (double) origBits / params;
        }
    }

    /** Writes the model and its reports; sizes count every weight, compressed or not. */
    private static Written write(CompressOptions o, ObjectNode report, String model, AutoCloseable m, Map<String, CompressedLinear> compressed,
                                 List<LayerResult> layers, Map<String, Inventory.Entry> inventory, double secs) {
        Path out = o.output();
        CompressedModelWriter writer = o.dense() ? new EffectiveWeightsWriter() : new CompressedTensorsModelWriter();
        try {
            AtomicFiles.writeFolder(out, dir -> writer.write(dir, m, compressed, model));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + out, e);
        }
        long params = 0, bits = 0, origBits = 0, linParams = 0, linBits = 0;
        Map<String, LayerResult> byName = new LinkedHashMap<>();
        for (LayerResult lr : layers) byName.put(lr.name(), lr);
        for (Inventory.Entry e : inventory.values()) {
            params += e.elements();
            origBits += e.bits();
            LayerResult lr = byName.get(e.name());
            bits += lr != null ? lr.storageBits() : e.bits();
            if (lr != null) {
                linParams += e.elements();
                linBits += lr.storageBits();
            }
        }
        ArrayNode arr = report.putArray("layers");
        for (LayerResult lr : layers) {
            arr.addObject().put("name", lr.name()).put("rows", lr.rows()).put("cols", lr.cols()).put("method", lr.method())
                    .put("bits_per_weight", lr.bitsPerWeight()).put("rel_error", lr.relError()).put("seconds", lr.seconds());
        }
        long fileBytes = bytesOnDisk(out);
        report.put("parameters", params).put("size_bytes", bits / 8).put("file_bytes", fileBytes).put("original_size_bytes", origBits / 8)
                .put("bits_per_weight", (double) bits / params).put("original_bits_per_weight", (double) origBits / params)
                .put("compressed_bits_per_weight", linParams == 0 ? 0 : (double) linBits / linParams)
                .put("seconds", secs).put("peak_heap_bytes", PeakMemory.heapBytes()).put("peak_rss_bytes", PeakMemory.rssBytes());
        Path[] reports = Reports.write(out, report, Reports.layersTable(layers), "# Compression report", "layers");
        String line = String.format(Locale.ROOT, "compressed %s with %s in %.1fs: %.3f bits per weight (was %.2f), %.2f MB of weights (was %.2f MB), %.2f MB written; peak heap %.0f MB, RSS %.0f MB%n",
                model, report.get("recipe").asText(), secs, (double) bits / params, (double) origBits / params, bits / 8e6, origBits / 8e6,
                fileBytes / 1e6, PeakMemory.heapBytes() / 1e6, PeakMemory.rssBytes() / 1e6);
        String wrote = String.format(Locale.ROOT, "wrote %s, %s, %s%n", out, reports[0], reports[1]);
        return new Written(params, bits, origBits, reports[0], reports[1], line, wrote);
    }

    /** --scheme q4_k_m etc.: a GGUF for llama.cpp, then its KL divergence against the original. */
    private static CompressionResult gguf(String model, String scheme, LlamaFileType type, DType fallback, CompressOptions o) throws IOException {
        long t0 = System.nanoTime();
        List<TensorTypeRule> rules = o.tensorTypes().stream().map(TensorTypeRule::parse).toList();
        Path out = o.output();
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", model).put("recipe", "--scheme " + scheme);
        Path src = Models.file(model);
        boolean budget = o.targetBytes() != null || o.targetBpw() != null;
        String flag = o.targetBytes() != null ? "--target-size" : "--target-bpw";
        if (o.searchGenerations() > 0 && !budget) throw new BadInputException("--search-generations", null, "searches the types of a budget: give --target-size or --target-bpw");
        if (budget && !Files.isDirectory(src)) target(src, type, rules, o, flag); // a budget below the smallest file fails before any work
        Imatrix given = o.imatrixFile() != null ? checkedImatrix(o.imatrixFile(), src, out) : null; // as does an imatrix of another model
        try (LlamaModel l = LlamaLoader.load(src)) {
            // --eval-chunks 0: no KL evaluation, so no engine holds the model (one larger than memory compresses)
            Chunks chunks = o.evalChunks() > 0 ? evalChunks(l, o) : null;
            try (LogitCache base = chunks == null ? null : baseLogits(l, chunks, o)) {
                Imatrix im = null;
                int[][] calib = null;
                if (o.imatrix() || o.gptq() || budget) {
                    List<Path> files = o.calibration() != null ? o.calibration() : List.of(DataFiles.find("kjv-bible.txt"));
                    int n = o.samples() != null ? o.samples() : 64;
                    calib = CalibrationText.tokens(files, l.tokenizer(), n, o.seqLen(), o.seed());
                    report.put("calibration", files + ", " + n + " x " + o.seqLen() + " tokens, seed " + o.seed());
                    if (o.imatrix() && o.imatrixFile() == null) im = GgufExport.imatrix(l, calib, "slim4j", files.toString());
                }
                if (given != null) im = given;
                // llama-quantize's mix for the k-quant and i-quant file types; the legacy ones stay pure (slim4j's default before the mix)
                boolean mix = !o.pure() && (type.name().contains("_K") || type.name().contains("IQ"));
                GgufQuantizer.Options go = GgufQuantizer.Options.of(type).pure(!mix).fallback(fallback).imatrix(im).rules(rules);
                String calibKey = calib == null ? "" : (o.calibration() != null ? o.calibration() : List.of(Path.of("kjv-bible.txt"))).stream()
                        .map(f -> f.getFileName().toString()).toList() + " " + calib.length + "x" + o.seqLen() + " seed " + o.seed();
                GgufExport.Gptq gq = o.gptq() ? new GgufExport.Gptq(calib, o.actOrder(), 0.01, calibKey) : null;
                int[][] calibration = calib;
                GgufExport.Result r = !budget ? GgufExport.write(src, out, go, gq) : GgufExport.withGguf(src, out, f32 -> {
                    long target = target(f32, type, rules, o, flag);
                    GgufBudget.Curves curves = GgufBudget.curves(f32, go, calibration, flag);
                    long limit = target;
                    for (int attempt = 0; ; attempt++) {
                        Map<String, DType> types = curves.types(limit);
                        if (o.searchGenerations() > 0) {
                            report.put("allocated_predicted_kld", curves.predicted(types));
                            GgufSearch.Result sr = GgufSearch.search(f32, go, calibration, curves, types, limit,
                                    new EvoSearch.Options(o.searchGenerations(), o.searchOffspring(), Math.min(2, o.searchOffspring()), o.searchSeed()));
                            types = sr.types();
                            report.set("search", searchReport(sr, o));
                        }
                        GgufExport.Result res = GgufExport.write(f32, out, go.types(types), gq);
                        if (res.bytes() <= target) {
                            report.put("target_bytes", target).put("predicted_kld", curves.predicted(types));
                            return res;
                        }
                        if (attempt == 2) {
                            try {
                                Files.deleteIfExists(out);
                            } catch (IOException e) {
                                throw new UncheckedIOException("deleting " + out, e);
                            }
                            throw new IllegalStateException(out + " came out at " + res.bytes() + " bytes, over the budget of " + target);
                        }
                        limit -= res.bytes() - target + 1024; // the header estimate fell short: take the excess off and choose again
                    }
                });
                double secs = (System.nanoTime() - t0) / 1e9;
                String mixName = budget ? "budget" : mix ? "llama.cpp" : "pure"; // a budget's types are its own, whatever the file type key says
                report.put("file_type", type.name()).put("tensor_mix", mixName)
                        .put("size_bytes", r.bytes()).put("parameters", r.parameters()).put("bits_per_weight", r.bitsPerWeight())
                        .put("matrix_bits_per_weight", r.matrixBitsPerWeight()).put("seconds", secs);
                ObjectNode types = report.putObject("tensor_types");
                r.types().types().forEach((k, v) -> types.put(k, v.name()));
                ArrayNode fbs = report.putArray("fallbacks");
                r.types().fallbacks().forEach(fbs::add);
                KlDivergence.Result kld = null;
                if (base != null) {
                    try (LlamaModel q = LlamaLoader.load(out); FastLlama fast = new FastLlama(q, o.threads(), false)) {
                        kld = KlDivergence.run(fast, chunks, base);
                    }
                    quality(report, kld, o, chunks);
                }
                Map<String, LayerResult> errors = new LinkedHashMap<>();
                for (LayerResult lr : r.layers()) errors.put(lr.name(), lr);
                Map<String, Long> sizes = new LinkedHashMap<>();
                try (GgufFile written = GgufFile.open(out)) {
                    for (org.slim4j.tensor.Tensor t : written.tensors()) sizes.put(t.name(), t.data().byteSize());
                }
                StringBuilder table = new StringBuilder("\n| tensor | type | bytes | rel. output error (calibration) |\n|---|---|---|---|\n");
                ArrayNode per = report.putArray("tensors");
                r.types().types().forEach((k, v) -> {
                    LayerResult lr = errors.get(k);
                    table.append("| ").append(k).append(" | ").append(v).append(r.types().fallbacks().contains(k) ? " (fallback)" : "").append(" | ")
                            .append(sizes.getOrDefault(k, 0L)).append(" | ").append(lr == null ? "" : String.format(Locale.ROOT, "%.5f", lr.relError())).append(" |\n");
                    ObjectNode t = per.addObject().put("name", k).put("type", v.name()).put("bytes", sizes.getOrDefault(k, 0L));
                    if (lr != null) t.put("rel_error", lr.relError()).put("method", lr.method());
                });
                String searchTable = report.has("search") ? searchTable(report.get("search")) : "";
                Path[] reports = Reports.write(out, report, searchTable + table, "# GGUF export report", "tensor_types", "tensors", "search");
                String summary = (kld != null ? kld.table() : "no KL evaluation (--eval-chunks 0)\n") + String.format(Locale.ROOT,
                        "wrote %s (%s, %s mix) in %.1fs: %.3f bits per weight overall, %.3f on the quantized matrices, %.2f MB; %d tensor(s) took the fallback%s%nwrote %s, %s%n",
                        out, type.name(), mixName, secs, r.bitsPerWeight(), r.matrixBitsPerWeight(), r.bytes() / 1e6,
                        r.types().fallbacks().size(), r.types().fallbacks().isEmpty() ? "" : " " + r.types().fallbacks(), reports[0], reports[1]);
                return new CompressionResult(out, reports[0], reports[1], report, summary);
            }
        }
    }

    /** The search's record for the report: its settings, the KL divergence at the start and after each generation. */
    private static ObjectNode searchReport(GgufSearch.Result sr, CompressOptions o) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        EvoSearch.Result r = sr.search();
        n.put("method", "EvoPress (1+lambda) level-swap search, staged KL fitness").put("generations", o.searchGenerations())
                .put("offspring", o.searchOffspring()).put("seed", o.searchSeed()).put("stage1_tokens", sr.fewTokens()).put("stage2_tokens", sr.moreTokens())
                .put("start_kld", r.startKld()).put("kld", r.kld()).put("searched_bytes", r.bytes()).put("scratch_bytes", sr.scratchBytes());
        ArrayNode g = n.putArray("per_generation");
        for (EvoSearch.Generation x : r.generations()) g.addObject().put("generation", x.index()).put("kld", x.kld()).put("improved", x.improved());
        return n;
    }

    /** The search's record as Markdown: settings, then the KL divergence (second stage's tokens) after each generation. */
    private static String searchTable(com.fasterxml.jackson.databind.JsonNode n) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%n## Evolutionary search%n%n%s: %d generations of %d offspring, seed %d; fitness: KL divergence to the original on %d tokens (first stage), %d (second)."
                        + " KLD %.6f at the start (the allocator's types), %.6f after; %d bytes of searched tensors; %d bytes of scratch.%n%n| generation | KLD (second stage) | improved |%n|---|---|---|%n",
                n.get("method").asText(), n.get("generations").asInt(), n.get("offspring").asInt(), n.get("seed").asLong(), n.get("stage1_tokens").asInt(),
                n.get("stage2_tokens").asInt(), n.get("start_kld").asDouble(), n.get("kld").asDouble(), n.get("searched_bytes").asLong(), n.get("scratch_bytes").asLong()));
        sb.append(String.format(Locale.ROOT, "| 0 | %.6f | |%n", n.get("start_kld").asDouble()));
        for (com.fasterxml.jackson.databind.JsonNode g : n.get("per_generation")) {
            sb.append(String.format(Locale.ROOT, "| %d | %.6f | %s |%n", g.get("generation").asInt(), g.get("kld").asDouble(), g.get("improved").asBoolean() ? "yes" : ""));
        }
        return sb.toString();
    }

    /** The byte budget of --target-size/--target-bpw on the GGUF {@code f32}, refused when the free matrices cannot fit it in the smallest type. */
    private static long target(Path f32, LlamaFileType type, List<TensorTypeRule> rules, CompressOptions o, String flag) {
        long params = 0;
        try (GgufFile g = GgufFile.open(f32)) {
            for (org.slim4j.tensor.Tensor t : g.tensors()) params += t.elements();
        }
        long target = o.targetBytes() != null ? o.targetBytes() : (long) Math.floor(o.targetBpw() * params / 8);
        long smallest = GgufBudget.smallest(f32, GgufQuantizer.Options.of(type).pure(false).rules(rules));
        if (smallest > target) {
            throw new BadInputException(flag, null, String.format(Locale.ROOT, "a budget of %d bytes is below the smallest file slim4j can make of %s (%d bytes of tensors: every matrix in %s)",
                    target, f32.getFileName(), smallest, GgufBudget.CANDIDATES.getFirst()));
        }
        return target;
    }

    /** An importance matrix file, every entry checked against the model (an imatrix of another model is bad input). */
    private static Imatrix checkedImatrix(Path file, Path model, Path out) {
        Imatrix im = Imatrix.read(file);
        GgufExport.withGguf(model, out, src -> {
            try (GgufFile g = GgufFile.open(src)) {
                im.checkAgainst(g, file);
            }
            return null;
        });
        return im;
    }

    /** A llama.cpp file type named by a scheme (q4_k_m, Q8_0, ...), or null for slim4j's own schemes. */
    static LlamaFileType ggufType(String scheme) {
        if (scheme.toLowerCase(Locale.ROOT).startsWith("w")) return null;
        try {
            return LlamaFileType.byName(scheme);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static DType fallbackType(String name) {
        if (name == null) return null;
        try {
            return LlamaFileType.byName(name).matrixType;
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--fallback", null, "unknown type '" + name + "' (q8_0, q4_0, f16, ...)");
        }
    }

    /** Outputs never overwrite or sit inside their input (nor the input inside the output, which replacing it would delete). */
    public static void checkOutput(String model, Path output) {
        if (output == null) throw new BadInputException("-o", null, "missing output");
        if (Models.isBuiltIn(model)) return;
        Path in = Path.of(model).toAbsolutePath().normalize(), out = output.toAbsolutePath().normalize();
        if (out.equals(in) || out.startsWith(in) || in.startsWith(out)) {
            throw new BadInputException(output, "-o", "is the input model " + in + " or inside it (or contains it); write elsewhere so the original stays intact");
        }
    }

    private static long bytesOnDisk(Path p) {
        try {
            return ModelFiles.bytesOnDisk(p);
        } catch (IOException e) {
            throw new UncheckedIOException("sizing " + p, e);
        }
    }

    /** The JSON report and its Markdown rendering beside an output, each written atomically. */
    static final class Reports {
        private Reports() {}

        /** Writes OUT-report.json and OUT-report.md; returns {md, json}. {@code skip}: the field the table replaces. */
        static Path[] write(Path out, ObjectNode report, String table, String title, String... skip) {
            Path abs = out.toAbsolutePath();
            Path json = abs.resolveSibling(abs.getFileName() + "-report.json"), md = abs.resolveSibling(abs.getFileName() + "-report.md");
            StringBuilder sb = new StringBuilder(title).append("\n\n");
            report.properties().forEach(e -> {
                if (!List.of(skip).contains(e.getKey())) sb.append("- **").append(e.getKey()).append("**: ").append(e.getValue()).append('\n');
            });
            sb.append(table);
            try {
                byte[] bytes = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(report);
                AtomicFiles.write(json, tmp -> Files.write(tmp, bytes));
                AtomicFiles.write(md, tmp -> Files.writeString(tmp, sb.toString()));
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + md, e);
            }
            return new Path[] {md, json};
        }

        static String layersTable(List<LayerResult> layers) {
            StringBuilder sb = new StringBuilder("\n| tensor | shape | method | bits/weight | rel. output error | s |\n|---|---|---|---|---|---|\n");
            for (LayerResult lr : layers) {
                sb.append(String.format(Locale.ROOT, "| %s | %d x %d | %s | %.3f | %.5f | %.2f |%n", lr.name(), lr.rows(), lr.cols(),
                        lr.method(), lr.bitsPerWeight(), lr.relError(), lr.seconds()));
            }
            return sb.toString();
        }
    }
}
