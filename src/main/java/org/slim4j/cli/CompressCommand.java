package org.slim4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.calib.BertBlocks;
import org.slim4j.compress.calib.BlockModel;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.calib.LayerResult;
import org.slim4j.compress.calib.LayerwiseCompressor;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.compress.output.CompressedTensorsModelWriter;
import org.slim4j.compress.output.EffectiveWeightsWriter;
import org.slim4j.compress.output.GgufExport;
import org.slim4j.compress.output.Inventory;
import org.slim4j.util.PeakMemory;
import org.slim4j.compress.recipe.Recipe;
import org.slim4j.compress.recipe.RecipeParser;
import org.slim4j.compress.recipe.Schemes;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.KlDivergence;
import org.slim4j.eval.Sts;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.eval.StsB;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.FastBert;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.util.DataFiles;
import org.slim4j.util.Threads;
import org.slim4j.tensor.DType;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "compress", mixinStandardHelpOptions = true,
        description = {"Compress a model by a recipe or a scheme shortcut, layer by layer on calibration text; write it and a report.",
            "With no arguments: all-MiniLM-L6-v2 with the best 4-bit recipe (" + CompressCommand.BEST + "), before/after table."})
final class CompressCommand implements Callable<Integer> {
    /** The best 4-bit recipe within 4.5 bits per weight, scales included, embeddings quantized too. */
    static final String BEST = "w4g64-gptq-asym-emb";

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Model (default with no arguments: all-minilm-l6-v2).") String model;
    @Option(names = "--scheme", paramLabel = "S", description = "Shortcut: w8, w4g128, w4g64-gptq, w4g32-awq, w3g32-gptq-asym, ... (-emb: quantize embeddings too); or a llama.cpp type (q8_0, q4_0, q4_k_m, q6_k, ...) to write a GGUF.") String scheme;
    @Option(names = "--recipe", paramLabel = "YAML", description = "Recipe file (stages of modifiers).") Path recipe;
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text, one or more (default: STS-B train sentences for encoders, kjv-bible.txt for decoders).") List<Path> calib;
    @Option(names = "--samples", paramLabel = "N", description = "Calibration samples (default: 512 sentences / 64 sequences).") Integer samples;
    @Option(names = "--seq-len", paramLabel = "L", defaultValue = "256", description = "Decoder calibration sequence length (default: 256).") int seqLen;
    @Option(names = "--seed", defaultValue = "42", description = "Calibration sampling seed.") long seed;
    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Output folder: Hugging Face layout with compressed-tensors weights; report beside it.") Path out;
    @Option(names = "--dense", description = "Write the effective weights as float32 instead of compressed-tensors (for tools that cannot read it).") boolean dense;
    @Option(names = "--eval-chunks", defaultValue = "4", description = "Decoders: chunks of held-out text for KLD/perplexity.") int evalChunks;
    @Option(names = "--ctx", defaultValue = "128", description = "Decoders: tokens per evaluation chunk.") int ctx;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all cores).") int threads;
    @Option(names = "--imatrix", description = "GGUF schemes: weight the quantization by an importance matrix from the calibration text (as llama-imatrix; Q4_0, Q6_K, Q8_0).") boolean imatrix;
    @Option(names = "--fallback", paramLabel = "TYPE", description = "GGUF schemes: the type for matrices whose rows are not whole blocks (e.g. q8_0, f16); without it such a matrix is an error.") String fallback;
    @Option(names = "--pure", description = "GGUF schemes: every matrix in the scheme's type (llama-quantize --pure); default for all but Q4_K_M/Q5_K_M, which use llama.cpp's tensor mix.") boolean pure;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean mainJob = model == null;
        if (mainJob) {
            if (recipe != null || scheme != null || out != null) throw new BadInputException("-m", null, "give the model to compress (or no arguments at all for the default job)");
            model = "all-minilm-l6-v2";
            scheme = BEST;
            out = Path.of("all-minilm-l6-v2-" + BEST);
        }
        if ((scheme == null) == (recipe == null)) throw new BadInputException("--scheme/--recipe", null, "give exactly one of --scheme and --recipe");
        if (out == null) throw new BadInputException("-o", null, "missing output folder");
        LlamaFileType gguf = scheme != null ? ggufType(scheme) : null;
        if (gguf != null) return Threads.run(threads, () -> gguf(gguf));
        if (imatrix || fallback != null || pure) throw new BadInputException("--imatrix/--fallback/--pure", null, "only for GGUF schemes (q8_0, q4_0, q4_k_m, q6_k, ...)");
        Recipe r = recipe != null ? RecipeParser.read(recipe) : Schemes.recipe(scheme);
        return Threads.run(threads, () -> run(r, mainJob));
    }

    private int run(Recipe r, boolean mainJob) throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", model).put("recipe", r.source());
        AutoCloseable loaded = Slim4j.load(model);
        try (AutoCloseable m = loaded) {
            Map<String, Inventory.Entry> inventory;
            BlockModel blocks;
            Quality before, after;
            if (m instanceof BertModel b) {
                inventory = Inventory.of(b.weights(), 32);
                StsB dev = StsB.read(DataFiles.find("stsb-dev.tsv"));
                List<String> sentences = dev.sentences();
                float[][] ref = FastBert.embed(b, threads, sentences);
                before = Quality.of(dev, ref, ref, sentences);
                List<Path> files = calib != null ? calib : List.of(DataFiles.find("stsb-train.tsv"));
                blocks = new BertBlocks(b, CalibrationText.sentences(files, samples != null ? samples : 512, seed));
                after = null;
                report.put("calibration", files + ", " + (samples != null ? samples : 512) + " sentences, seed " + seed);
                Map<String, CompressedLinear> compressed = new LinkedHashMap<>();
                List<LayerResult> layers = compress(r, blocks, compressed);
                double secs = (System.nanoTime() - t0) / 1e9;
                after = Quality.encoder(dev, b, threads, ref, sentences);
                finish(o, report, b, compressed, layers, inventory, before, after, secs, mainJob);
            } else if (m instanceof LlamaModel l) {
                inventory = Inventory.of(l.weights(), 16);
                String text = Files.readString(DataFiles.find("wikitext-2-raw-test.txt"));
                Chunks chunks = Chunks.of(l.tokenizer().encode(text, false), ctx, evalChunks, l.autoBos());
                float[][] base = baseLogits(l, chunks);
                List<Path> files = calib != null ? calib : List.of(DataFiles.find("kjv-bible.txt"));
                int n = samples != null ? samples : 64;
                blocks = new LlamaBlocks(l, CalibrationText.tokens(files, l.tokenizer(), n, seqLen, seed));
                report.put("calibration", files + ", " + n + " x " + seqLen + " tokens, seed " + seed);
                Map<String, CompressedLinear> compressed = new LinkedHashMap<>();
                List<LayerResult> layers = compress(r, blocks, compressed);
                double secs = (System.nanoTime() - t0) / 1e9;
                decoderQuality(o, report, l, chunks, base);
                finish(o, report, l, compressed, layers, inventory, null, null, secs, false);
            } else {
                throw new BadInputException(model, null, "compression supports BERT encoders and Llama-family decoders");
            }
        }
        return 0;
    }

    private static float[][] baseLogits(LlamaModel l, Chunks chunks) {
        float[][] base = new float[chunks.count()][];
        int vocab = l.vocabSize(), per = chunks.scoredPerChunk();
        for (int c = 0; c < chunks.count(); c++) {
            float[] all = l.logits(chunks.chunk(c));
            base[c] = java.util.Arrays.copyOfRange(all, chunks.firstScored() * vocab, (chunks.firstScored() + per) * vocab);
        }
        return base;
    }

    private void decoderQuality(PrintWriter o, ObjectNode report, org.slim4j.model.CausalLM m, Chunks chunks, float[][] base) {
        KlDivergence.Result kld = KlDivergence.run(m, chunks, c -> base[c]);
        o.print(kld.table());
        ObjectNode q = report.putObject("quality");
        q.put("text", "wikitext-2-raw-test.txt, " + chunks.count() + " chunks of " + ctx);
        q.put("mean_kld", kld.meanKld()).put("kld_99", kld.kldPercentile(99)).put("max_kld", kld.maxKld())
                .put("same_top", kld.sameTop()).put("ppl", kld.pplQ()).put("ppl_base", kld.pplBase());
    }

    /** A llama.cpp file type named by --scheme (q4_k_m, Q8_0, ...), or null for slim4j's own schemes. */
    private static LlamaFileType ggufType(String scheme) {
        if (scheme.toLowerCase(Locale.ROOT).startsWith("w")) return null;
        try {
            return LlamaFileType.byName(scheme);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** --scheme q4_k_m etc.: a GGUF for llama.cpp, then its KLD against the original. */
    private int gguf(LlamaFileType type) throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (!out.getFileName().toString().endsWith(".gguf")) throw new BadInputException(out, "-o", "GGUF schemes write a .gguf file");
        DType fb = null;
        if (fallback != null) {
            try {
                fb = LlamaFileType.byName(fallback).matrixType;
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--fallback", null, "unknown type '" + fallback + "' (q8_0, q4_0, f16, ...)");
            }
        }
        long t0 = System.nanoTime();
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", model).put("recipe", "--scheme " + scheme);
        Path src = Slim4j.file(model);
        try (LlamaModel l = org.slim4j.model.llama.LlamaLoader.load(src)) {
            String text = Files.readString(DataFiles.find("wikitext-2-raw-test.txt"));
            Chunks chunks = Chunks.of(l.tokenizer().encode(text, false), ctx, evalChunks, l.autoBos());
            float[][] base = baseLogits(l, chunks);
            org.slim4j.io.gguf.Imatrix im = null;
            if (imatrix) {
                List<Path> files = calib != null ? calib : List.of(DataFiles.find("kjv-bible.txt"));
                int n = samples != null ? samples : 64;
                im = GgufExport.imatrix(l, CalibrationText.tokens(files, l.tokenizer(), n, seqLen, seed), "slim4j", files.toString());
                report.put("calibration", files + ", " + n + " x " + seqLen + " tokens, seed " + seed);
            }
            boolean mix = !pure && (type == LlamaFileType.MOSTLY_Q4_K_M || type == LlamaFileType.MOSTLY_Q5_K_M);
            GgufExport.Result r = GgufExport.write(src, out, type, fb, !mix, im);
            double secs = (System.nanoTime() - t0) / 1e9;
            report.put("file_type", type.name()).put("tensor_mix", mix ? "llama.cpp" : "pure")
                    .put("size_bytes", r.bytes()).put("parameters", r.parameters()).put("bits_per_weight", r.bitsPerWeight())
                    .put("matrix_bits_per_weight", r.matrixBitsPerWeight()).put("seconds", secs);
            ObjectNode types = report.putObject("tensor_types");
            r.types().types().forEach((k, v) -> types.put(k, v.name()));
            ArrayNode fbs = report.putArray("fallbacks");
            r.types().fallbacks().forEach(fbs::add);
            try (LlamaModel q = org.slim4j.model.llama.LlamaLoader.load(out)) {
                decoderQuality(o, report, q, chunks, base);
            }
            Path abs = out.toAbsolutePath();
            Path json = abs.resolveSibling(abs.getFileName() + "-report.json"), md = abs.resolveSibling(abs.getFileName() + "-report.md");
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
            StringBuilder sb = new StringBuilder("# GGUF export report\n\n");
            report.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("tensor_types")) sb.append("- **").append(e.getKey()).append("**: ").append(e.getValue()).append('\n');
            });
            sb.append("\n| tensor | type |\n|---|---|\n");
            r.types().types().forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(r.types().fallbacks().contains(k) ? " (fallback)" : "").append(" |\n"));
            Files.writeString(md, sb.toString());
            o.printf(Locale.ROOT, "wrote %s (%s, %s mix) in %.1fs: %.3f bits per weight overall, %.3f on the quantized matrices, %.2f MB; %d tensor(s) took the fallback%s%n",
                    out, type.name(), mix ? "llama.cpp" : "pure", secs, r.bitsPerWeight(), r.matrixBitsPerWeight(), r.bytes() / 1e6,
                    r.types().fallbacks().size(), r.types().fallbacks().isEmpty() ? "" : " " + r.types().fallbacks());
            o.printf(Locale.ROOT, "wrote %s, %s%n", md, json);
        }
        return 0;
    }

    private static List<LayerResult> compress(Recipe r, BlockModel blocks, Map<String, CompressedLinear> sink) {
        Set<String> linears = new HashSet<>();
        for (int b = 0; b < blocks.blocks(); b++) linears.addAll(blocks.linears(b));
        return new LayerwiseCompressor(r.plan(linears)).onCompressed(sink::put).run(blocks);
    }

    record Quality(double spearman, Fidelity fidelity) {
        static Quality encoder(StsB dev, BertModel m, int threads, float[][] ref, List<String> sentences) {
            return of(dev, ref, FastBert.embed(m, threads, sentences), sentences);
        }

        static Quality of(StsB dev, float[][] ref, float[][] e, List<String> sentences) {
            Map<String, float[]> by = new LinkedHashMap<>();
            for (int i = 0; i < e.length; i++) by.put(sentences.get(i), e[i]);
            return new Quality(Sts.spearman100(dev, by::get), Fidelity.of(ref, e));
        }
    }

    private void finish(PrintWriter o, ObjectNode report, AutoCloseable m, Map<String, CompressedLinear> compressed,
                        List<LayerResult> layers, Map<String, Inventory.Entry> inventory, Quality before, Quality after,
                        double secs, boolean table) throws Exception {
        (dense ? new EffectiveWeightsWriter() : new CompressedTensorsModelWriter()).write(out, m, compressed);
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
        long fileBytes = org.slim4j.io.ModelFiles.bytesOnDisk(out);
        report.put("parameters", params).put("size_bytes", bits / 8).put("file_bytes", fileBytes).put("original_size_bytes", origBits / 8)
                .put("bits_per_weight", (double) bits / params).put("original_bits_per_weight", (double) origBits / params)
                .put("compressed_bits_per_weight", linParams == 0 ? 0 : (double) linBits / linParams)
                .put("seconds", secs).put("peak_heap_bytes", PeakMemory.heapBytes()).put("peak_rss_bytes", PeakMemory.rssBytes());
        if (before != null) {
            ObjectNode q = report.putObject("quality");
            q.put("data", "STS-B dev sentences").put("spearman_before", before.spearman()).put("spearman_after", after.spearman())
                    .put("mean_cosine", after.fidelity().meanCosine()).put("p1_cosine", after.fidelity().p1Cosine())
                    .put("min_cosine", after.fidelity().minCosine()).put("top10_overlap", after.fidelity().top10Overlap());
        }
        Path abs = out.toAbsolutePath();
        Path json = abs.resolveSibling(abs.getFileName() + "-report.json"), md = abs.resolveSibling(abs.getFileName() + "-report.md");
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
        Files.writeString(md, markdown(report, layers));
        o.printf(Locale.ROOT, "compressed %s with %s in %.1fs: %.3f bits per weight (was %.2f), %.2f MB of weights (was %.2f MB), %.2f MB written; peak heap %.0f MB, RSS %.0f MB%n",
                model, report.get("recipe").asText(), secs, (double) bits / params, (double) origBits / params, bits / 8e6, origBits / 8e6,
                fileBytes / 1e6, PeakMemory.heapBytes() / 1e6, PeakMemory.rssBytes() / 1e6);
        if (before != null) {
            if (table) o.printf(Locale.ROOT, "%n%-22s %10s %10s %11s %10s %9s %9s%n", "model", "size MB", "bits/w", "Spearman", "mean cos", "min cos", "top-10");
            if (table) o.printf(Locale.ROOT, "%-22s %10.2f %10.2f %11.2f %10.5f %9.5f %9.4f%n", "fp32", origBits / 8e6, (double) origBits / params, before.spearman(), 1.0, 1.0, 1.0);
            o.printf(Locale.ROOT, "%-22s %10.2f %10.3f %11.2f %10.5f %9.5f %9.4f%n", scheme != null ? scheme : "recipe", bits / 8e6, (double) bits / params,
                    after.spearman(), after.fidelity().meanCosine(), after.fidelity().minCosine(), after.fidelity().top10Overlap());
            o.printf(Locale.ROOT, "(Spearman x100 on STS-B dev; cosine and top-10 overlap against the fp32 embeddings; 1st-percentile cosine %.5f)%n", after.fidelity().p1Cosine());
        }
        o.printf(Locale.ROOT, "wrote %s, %s, %s%n", out, md, json);
    }

    private static String markdown(ObjectNode report, List<LayerResult> layers) {
        StringBuilder sb = new StringBuilder("# Compression report\n\n");
        report.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("layers")) sb.append("- **").append(e.getKey()).append("**: ").append(e.getValue()).append('\n');
        });
        sb.append("\n| tensor | shape | method | bits/weight | rel. output error | s |\n|---|---|---|---|---|---|\n");
        for (LayerResult lr : layers) {
            sb.append(String.format(Locale.ROOT, "| %s | %d x %d | %s | %.3f | %.5f | %.2f |%n", lr.name(), lr.rows(), lr.cols(),
                    lr.method(), lr.bitsPerWeight(), lr.relError(), lr.seconds()));
        }
        return sb.toString();
    }
}
