package org.slim4j.compress.pipeline;

import org.slim4j.util.TempFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.structured.BertFolder;
import org.slim4j.compress.structured.BertImportance;
import org.slim4j.compress.structured.BertShrink;
import org.slim4j.compress.structured.LlamaBlockRemoval;
import org.slim4j.compress.structured.LlamaImportance;
import org.slim4j.compress.structured.LlamaShrink;
import org.slim4j.convert.HfToGguf;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.EmbeddingQuality;
import org.slim4j.eval.KlDivergence;
import org.slim4j.eval.LogitCache;
import org.slim4j.eval.StsB;
import org.slim4j.io.ModelFiles;
import org.slim4j.model.Models;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;
import org.slim4j.util.DataFiles;
import org.slim4j.util.TextFiles;
import org.slim4j.util.Threads;

/**
 * Structured removal ranked by calibration importance, in one call: a smaller Hugging Face folder, and how much the
 * removal cost (decoders: KL divergence to the original on WikiText-2; encoders: STS-B Spearman, embedding fidelity
 * and the speed before and after, same run). The CLI's {@code shrink} is a thin layer over this.
 */
public final class Shrink {
    private Shrink() {}

    public static CompressionResult run(String model, ShrinkOptions o) {
        if (!(o.ffn >= 0 && o.ffn < 1)) throw new BadInputException("--drop-ffn", null, o.ffn + " must be in [0, 1)");
        if (!(o.heads >= 0 && o.heads < 1)) throw new BadInputException("--drop-heads", null, o.heads + " must be in [0, 1)");
        Compression.checkOutput(model, o.output());
        AtomicFiles.checkWritable(o.output(), "-o");
        if (Models.kindOf(model) == Models.Kind.ENCODER) {
            if (o.kvGroups > 0 || o.headsPerGroup > 0 || o.gguf != null) throw new BadInputException("--drop-kv-groups/--drop-heads-per-group/--gguf", null, "are for decoders; encoders take --drop-heads");
            if (o.heads == 0 && o.ffn == 0 && o.blocks == 0 && o.skipFfn == 0) throw new BadInputException("--drop-*", null, "nothing to remove: give --drop-heads, --drop-ffn, --skip-ffn or --drop-blocks");
            return Threads.call(o.threads, () -> encoder(model, o));
        }
        if (o.heads > 0 || o.skipFfn > 0) throw new BadInputException("--drop-heads/--skip-ffn", null, "are for encoders; decoders take --drop-kv-groups/--drop-heads-per-group");
        if (ModelFiles.detect(Path.of(model)) != ModelFiles.Format.HF_FOLDER) throw new BadInputException(model, null, "shrink needs a Hugging Face folder (config.json + model.safetensors)");
        if (o.kvGroups == 0 && o.headsPerGroup == 0 && o.ffn == 0 && o.blocks == 0) throw new BadInputException("--drop-*", null, "nothing to remove: give --drop-kv-groups, --drop-heads-per-group, --drop-ffn or --drop-blocks");
        return Threads.call(o.threads, () -> decoder(Path.of(model), o));
    }

    private static CompressionResult decoder(Path model, ShrinkOptions o) throws IOException {
        Path out = o.output();
        Path shrunk = o.blocks > 0 ? TempFiles.track(Files.createTempDirectory(out.toAbsolutePath().getParent(), "." + out.getFileName() + ".shrink")) : out;
        Chunks chunks;
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", model.toString());
        LogitCache base = null;
        try {
            try (LlamaModel m = LlamaLoader.loadHf(model)) {
                var c = m.config();
                int per = c.heads() / c.kvHeads();
                Path cfg = model.resolve("config.json");
                if (o.kvGroups < 0 || o.kvGroups >= c.kvHeads()) throw new BadInputException(cfg, "num_key_value_heads", "--drop-kv-groups " + o.kvGroups + " must be in [0, " + c.kvHeads() + ")");
                if (o.headsPerGroup < 0 || o.headsPerGroup >= per) throw new BadInputException(cfg, "num_attention_heads", "--drop-heads-per-group " + o.headsPerGroup + " must be in [0, " + per + ")");
                if (o.blocks < 0 || o.blocks >= c.layers()) throw new BadInputException(cfg, "num_hidden_layers", "--drop-blocks " + o.blocks + " must be in [0, " + c.layers() + ")");
                int[][] cal = CalibrationText.tokens(o.calibration != null ? o.calibration : List.of(DataFiles.find("kjv-bible.txt")), m.tokenizer(),
                        o.samples != null ? o.samples : 32, o.seqLen, o.seed);
                String text = TextFiles.read(DataFiles.find("wikitext-2-raw-test.txt"), "evaluation text");
                chunks = Chunks.of(m.tokenizer().encode(text, false), o.ctx, o.evalChunks, m.autoBos());
                try (FastLlama fast = new FastLlama(m, o.threads, false)) {
                    base = LogitCache.temporary(fast, chunks, out.toAbsolutePath().getParent());
                }
                List<List<Integer>> heads = null, channels = null;
                if (o.kvGroups > 0 || o.headsPerGroup > 0 || o.ffn > 0) {
                    LlamaImportance imp = LlamaImportance.measure(m, cal);
                    if (o.kvGroups > 0) heads = imp.keepGroups(o.kvGroups);
                    if (o.headsPerGroup > 0) {
                        List<List<Integer>> within = imp.keepHeadsPerGroup(o.headsPerGroup);
                        if (heads != null) for (int l = 0; l < heads.size(); l++) within.get(l).retainAll(heads.get(l));
                        heads = within;
                    }
                    int keepCh = Math.max(8, (int) Math.round(c.ffn() * (1 - o.ffn) / 8) * 8);
                    if (o.ffn > 0) channels = imp.keepChannels(keepCh);
                }
                List<List<Integer>> keepHeads = heads, keepChannels = channels;
                // the whole folder appears at once (an earlier output is replaced whole, never mixed)
                AtomicFiles.writeFolder(out, dir -> {
                    LlamaShrink.write(model, o.blocks > 0 ? shrunk : dir, keepHeads, keepChannels);
                    if (o.blocks > 0) LlamaBlockRemoval.write(shrunk, dir, LlamaBlockRemoval.keep(LlamaBlockRemoval.blockInfluence(m, cal), o.blocks));
                });
            } finally {
                if (shrunk != out) TempFiles.delete(shrunk);
            }
            if (o.gguf != null) HfToGguf.convert(out, o.gguf, null);
            try (LlamaModel small = LlamaLoader.loadHf(out); FastLlama fast = new FastLlama(small, o.threads, false)) {
                KlDivergence.Result k = KlDivergence.run(fast, chunks, base);
                var c = small.config();
                long before = Files.size(model.resolve("model.safetensors")), after = Files.size(out.resolve("model.safetensors"));
                report.put("layers", c.layers()).put("heads", c.heads()).put("kv_heads", c.kvHeads()).put("ffn", c.ffn())
                        .put("file_bytes_before", before).put("file_bytes", after).put("mean_kld", k.meanKld()).put("same_top", k.sameTop())
                        .put("ppl", k.pplQ()).put("ppl_base", k.pplBase());
                Path[] reports = Compression.Reports.write(out, report, "", "# Shrink report", "");
                String summary = k.table() + String.format(Locale.ROOT,
                        "shrunk %s: %d layers, %d heads / %d KV heads of %d, FFN %d; %.2f MB -> %.2f MB; mean KLD %.5f, same top %.1f%%%nwrote %s%s, %s%n",
                        model, c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.ffn(), before / 1e6, after / 1e6, k.meanKld(), 100 * k.sameTop(),
                        out, o.gguf != null ? ", " + o.gguf : "", reports[1]);
                return new CompressionResult(out, reports[0], reports[1], report, summary);
            }
        } finally {
            if (base != null) base.close();
        }
    }

    private static CompressionResult encoder(String model, ShrinkOptions o) throws IOException {
        Path out = o.output();
        StsB dev = StsB.read(DataFiles.find("stsb-dev.tsv"));
        List<String> sentences = dev.sentences();
        List<Path> files = o.calibration != null ? o.calibration : List.of(DataFiles.find("stsb-train.tsv"));
        int n = o.samples != null ? o.samples : 256;
        ObjectNode report = new ObjectMapper().createObjectNode();
        float[][] ref;
        double secsBefore;
        long paramsBefore, paramsAfter;
        try (BertModel m = Models.encoder(model)) {
            int layers = m.config().layers();
            if (o.blocks < 0 || o.blocks >= layers || o.skipFfn < 0 || o.skipFfn > layers) throw new BadInputException("--drop-blocks/--skip-ffn", null, "must leave at least one of the " + layers + " blocks");
            BertImportance imp = BertImportance.measure(m, CalibrationText.sentences(files, n, o.seed));
            List<List<Integer>> keepHeads = o.heads > 0 ? imp.keepHeads(o.heads) : null;
            List<List<Integer>> keepChannels = o.ffn > 0 ? imp.keepChannels(o.ffn) : null;
            if (o.skipFfn > 0) {
                List<List<Integer>> skip = imp.skipFfn(o.skipFfn);
                if (keepChannels == null) keepChannels = skip;
                else for (int l = 0; l < layers; l++) if (skip.get(l).isEmpty()) keepChannels.set(l, List.of());
            }
            List<Integer> keepLayers = o.blocks > 0 ? imp.keepLayers(o.blocks) : BertShrink.range(layers);
            BertShrink shrunk = BertShrink.of(m, keepLayers, keepHeads, keepChannels);
            AtomicFiles.writeFolder(out, dir -> BertFolder.write(shrunk, m.conventions(), Path.of(m.tokenizer().source()), dir));
            // structurally pruned layers take the exact path, so both sides are timed on it; warm-up first
            m.embed(sentences.subList(0, 256));
            long t0 = System.nanoTime();
            ref = m.embed(sentences);
            secsBefore = (System.nanoTime() - t0) / 1e9;
            paramsBefore = BertShrink.of(m, BertShrink.range(layers), null, null).linearParameters();
            paramsAfter = shrunk.linearParameters();
        }
        report.put("model", model).put("linear_parameters_before", paramsBefore).put("linear_parameters_after", paramsAfter);
        try (BertModel small = Models.encoder(out.toString())) {
            small.embed(sentences.subList(0, 256));
            long t0 = System.nanoTime();
            float[][] e = small.embed(sentences);
            double secsAfter = (System.nanoTime() - t0) / 1e9;
            EmbeddingQuality before = EmbeddingQuality.of(dev, sentences, ref, ref), after = EmbeddingQuality.of(dev, sentences, ref, e);
            long bytesAfter = Files.size(out.resolve("model.safetensors"));
            report.put("removed", String.format(Locale.ROOT, "heads %.2f, ffn %.2f, blocks %d, ffn-only blocks %d", o.heads, o.ffn, o.blocks, o.skipFfn))
                    .put("layers", small.config().layers()).put("file_bytes", bytesAfter)
                    .put("spearman_before", before.spearman()).put("spearman_after", after.spearman())
                    .put("mean_cosine", after.fidelity().meanCosine()).put("p1_cosine", after.fidelity().p1Cosine())
                    .put("min_cosine", after.fidelity().minCosine()).put("top10_overlap", after.fidelity().top10Overlap())
                    .put("sentences_per_s_before", sentences.size() / secsBefore).put("sentences_per_s_after", sentences.size() / secsAfter)
                    .put("speedup", secsBefore / secsAfter);
            Path[] reports = Compression.Reports.write(out, report, "", "# Shrink report", "");
            int threads = o.threads > 0 ? o.threads : Runtime.getRuntime().availableProcessors();
            String summary = String.format(Locale.ROOT, "shrunk %s: %d layers, linear parameters %d -> %d, model.safetensors %.2f MB%n", model, small.config().layers(),
                    paramsBefore, paramsAfter, bytesAfter / 1e6)
                    + String.format(Locale.ROOT, "STS-B dev (%d sentences): Spearman %.2f -> %.2f, mean cosine %.5f, 1st pct %.5f, min %.5f, top-10 overlap %.4f%n",
                    sentences.size(), before.spearman(), after.spearman(), after.fidelity().meanCosine(), after.fidelity().p1Cosine(),
                    after.fidelity().minCosine(), after.fidelity().top10Overlap())
                    + String.format(Locale.ROOT, "speed (same run, %d threads): %.1f -> %.1f sentences/s (x%.2f)%n", threads, sentences.size() / secsBefore,
                    sentences.size() / secsAfter, secsBefore / secsAfter)
                    + String.format(Locale.ROOT, "wrote %s, %s%n", out, reports[1]);
            return new CompressionResult(out, reports[0], reports[1], report, summary);
        }
    }
}
