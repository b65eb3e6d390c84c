package org.slim4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slim4j.Slim4j;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.structured.BertFolder;
import org.slim4j.compress.structured.BertImportance;
import org.slim4j.compress.structured.BertShrink;
import org.slim4j.eval.StsB;
import org.slim4j.model.bert.BertModel;
import org.slim4j.compress.structured.LlamaBlockRemoval;
import org.slim4j.compress.structured.LlamaImportance;
import org.slim4j.compress.structured.LlamaShrink;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.KlDivergence;
import org.slim4j.convert.HfToGguf;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.util.DataFiles;
import org.slim4j.io.ModelFiles;
import org.slim4j.util.Threads;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "shrink", mixinStandardHelpOptions = true,
        description = {"Structured removal ranked by calibration importance; writes a smaller Hugging Face folder.",
            "Llama-family decoders (HF folder): KV groups or query heads, FFN channels, whole blocks; prints the KL",
            "divergence against the original on WikiText-2 chunks (and can write a GGUF).",
            "BERT encoders (built-in name, ONNX or HF folder): heads, FFN channels, whole blocks or only their FFN;",
            "prints embedding fidelity and STS-B Spearman on STS-B dev and the speed before/after, and writes OUT-report.json."})
final class ShrinkCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR", description = "Hugging Face Llama/Mistral/Qwen2 folder.") Path model;
    @Option(names = "--drop-kv-groups", defaultValue = "0", paramLabel = "N", description = "KV groups removed per layer, with their query heads.") int kvGroups;
    @Option(names = "--drop-heads-per-group", defaultValue = "0", paramLabel = "N", description = "Query heads removed from every KV group.") int headsPerGroup;
    @Option(names = "--drop-heads", defaultValue = "0", paramLabel = "F", description = "Encoders: fraction of attention heads removed per layer.") double heads;
    @Option(names = "--skip-ffn", defaultValue = "0", paramLabel = "N", description = "Encoders: blocks whose FFN is removed (least FFN influence).") int skipFfn;
    @Option(names = "--drop-ffn", defaultValue = "0", paramLabel = "F", description = "Fraction of FFN channels removed per layer (kept count rounded to a multiple of 8).") double ffn;
    @Option(names = "--drop-blocks", defaultValue = "0", paramLabel = "N", description = "Whole blocks removed (least block influence).") int blocks;
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text (default: kjv-bible.txt).") List<Path> calib;
    @Option(names = "--samples", paramLabel = "N", description = "Calibration sequences (default: 32) or sentences for encoders (default: 256).") Integer samples;
    @Option(names = "--seq-len", defaultValue = "128", paramLabel = "L", description = "Calibration sequence length (default: 128).") int seqLen;
    @Option(names = "--seed", defaultValue = "42", description = "Calibration sampling seed.") long seed;
    @Option(names = "--eval-chunks", defaultValue = "4", description = "Chunks of WikiText-2 for the KLD.") int evalChunks;
    @Option(names = "--ctx", defaultValue = "128", description = "Tokens per evaluation chunk.") int ctx;
    @Option(names = "--gguf", paramLabel = "FILE", description = "Also write the result as GGUF (matrices in their own dtype).") Path gguf;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Output Hugging Face folder.") Path out;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all cores).") int threads;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!(ffn >= 0 && ffn < 1)) throw new BadInputException("--drop-ffn", null, ffn + " must be in [0, 1)");
        if (!(heads >= 0 && heads < 1)) throw new BadInputException("--drop-heads", null, heads + " must be in [0, 1)");
        if (Slim4j.kindOf(model.toString()) == Slim4j.Kind.ENCODER) return Threads.run(threads, this::encoder);
        if (heads > 0 || skipFfn > 0) throw new BadInputException("--drop-heads/--skip-ffn", null, "are for encoders; decoders take --drop-kv-groups/--drop-heads-per-group");
        if (ModelFiles.detect(model) != ModelFiles.Format.HF_FOLDER) throw new BadInputException(model, null, "shrink needs a Hugging Face folder (config.json + model.safetensors)");
        if (kvGroups == 0 && headsPerGroup == 0 && ffn == 0 && blocks == 0) throw new BadInputException("--drop-*", null, "nothing to remove: give --drop-kv-groups, --drop-heads-per-group, --drop-ffn or --drop-blocks");
        return Threads.run(threads, this::run);
    }

    private int run() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        Path shrunk = blocks > 0 ? Files.createTempDirectory("slim4j-shrink") : out;
        Chunks chunks;
        float[][] base;
        try (LlamaModel m = LlamaLoader.loadHf(model)) {
            var c = m.config();
            int per = c.heads() / c.kvHeads();
            if (kvGroups < 0 || kvGroups >= c.kvHeads()) throw new BadInputException(model.resolve("config.json"), "num_key_value_heads", "--drop-kv-groups " + kvGroups + " must be in [0, " + c.kvHeads() + ")");
            if (headsPerGroup < 0 || headsPerGroup >= per) throw new BadInputException(model.resolve("config.json"), "num_attention_heads", "--drop-heads-per-group " + headsPerGroup + " must be in [0, " + per + ")");
            if (blocks < 0 || blocks >= c.layers()) throw new BadInputException(model.resolve("config.json"), "num_hidden_layers", "--drop-blocks " + blocks + " must be in [0, " + c.layers() + ")");
            int[][] cal = CalibrationText.tokens(calib != null ? calib : List.of(DataFiles.find("kjv-bible.txt")), m.tokenizer(), samples != null ? samples : 32, seqLen, seed);
            String text = Files.readString(DataFiles.find("wikitext-2-raw-test.txt"));
            chunks = Chunks.of(m.tokenizer().encode(text, false), ctx, evalChunks, m.autoBos());
            base = new float[chunks.count()][];
            int vocab = m.vocabSize(), scored = chunks.scoredPerChunk();
            for (int i = 0; i < chunks.count(); i++) {
                base[i] = java.util.Arrays.copyOfRange(m.logits(chunks.chunk(i)), chunks.firstScored() * vocab, (chunks.firstScored() + scored) * vocab);
            }
            if (kvGroups > 0 || headsPerGroup > 0 || ffn > 0) {
                LlamaImportance imp = LlamaImportance.measure(m, cal);
                List<List<Integer>> heads = null;
                if (kvGroups > 0) heads = imp.keepGroups(kvGroups);
                if (headsPerGroup > 0) {
                    List<List<Integer>> within = imp.keepHeadsPerGroup(headsPerGroup);
                    if (heads != null) for (int l = 0; l < heads.size(); l++) within.get(l).retainAll(heads.get(l));
                    heads = within;
                }
                int keepCh = Math.max(8, (int) Math.round(c.ffn() * (1 - ffn) / 8) * 8);
                LlamaShrink.write(model, shrunk, heads, ffn > 0 ? imp.keepChannels(keepCh) : null);
            } else {
                LlamaShrink.write(model, shrunk, null, null);
            }
            if (blocks > 0) {
                double[] bi = LlamaBlockRemoval.blockInfluence(m, cal);
                LlamaBlockRemoval.write(shrunk, out, LlamaBlockRemoval.keep(bi, blocks));
                try (var files = Files.list(shrunk)) {
                    for (Path f : files.toList()) Files.delete(f);
                }
                Files.delete(shrunk);
            }
        }
        if (gguf != null) HfToGguf.convert(out, gguf, null);
        try (LlamaModel small = LlamaLoader.loadHf(out)) {
            KlDivergence.Result k = KlDivergence.run(small, chunks, i -> base[i]);
            o.print(k.table());
            var c = small.config();
            long before = Files.size(model.resolve("model.safetensors")), after = Files.size(out.resolve("model.safetensors"));
            o.printf(Locale.ROOT, "shrunk %s: %d layers, %d heads / %d KV heads of %d, FFN %d; %.2f MB -> %.2f MB; mean KLD %.5f, same top %.1f%%%n",
                    model, c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.ffn(), before / 1e6, after / 1e6, k.meanKld(), 100 * k.sameTop());
            o.printf(Locale.ROOT, "wrote %s%s%n", out, gguf != null ? ", " + gguf : "");
        }
        return 0;
    }

    private int encoder() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (kvGroups > 0 || headsPerGroup > 0 || gguf != null) throw new BadInputException("--drop-kv-groups/--drop-heads-per-group/--gguf", null, "are for decoders; encoders take --drop-heads");
        if (heads == 0 && ffn == 0 && blocks == 0 && skipFfn == 0) throw new BadInputException("--drop-*", null, "nothing to remove: give --drop-heads, --drop-ffn, --skip-ffn or --drop-blocks");
        StsB dev = StsB.read(DataFiles.find("stsb-dev.tsv"));
        List<String> sentences = dev.sentences();
        List<Path> files = calib != null ? calib : List.of(DataFiles.find("stsb-train.tsv"));
        int n = samples != null ? samples : 256;
        ObjectNode report = new ObjectMapper().createObjectNode();
        float[][] ref;
        double secsBefore;
        try (BertModel m = (BertModel) Slim4j.load(model.toString())) {
            int layers = m.config().layers();
            if (blocks < 0 || blocks >= layers || skipFfn < 0 || skipFfn > layers) throw new BadInputException("--drop-blocks/--skip-ffn", null, "must leave at least one of the " + layers + " blocks");
            BertImportance imp = BertImportance.measure(m, CalibrationText.sentences(files, n, seed));
            List<List<Integer>> keepHeads = heads > 0 ? imp.keepHeads(heads) : null;
            List<List<Integer>> keepChannels = ffn > 0 ? imp.keepChannels(ffn) : null;
            if (skipFfn > 0) {
                List<List<Integer>> skip = imp.skipFfn(skipFfn);
                if (keepChannels == null) keepChannels = skip;
                else for (int l = 0; l < layers; l++) if (skip.get(l).isEmpty()) keepChannels.set(l, List.of());
            }
            List<Integer> keepLayers = blocks > 0 ? imp.keepLayers(blocks) : BertShrink.range(layers);
            BertShrink shrunk = BertShrink.of(m, keepLayers, keepHeads, keepChannels);
            BertFolder.write(shrunk, m.conventions(), Path.of(m.tokenizer().source()), out);
            m.embed(sentences.subList(0, 256)); // JIT warm-up, so the speed ratio compares compiled code
            long t0 = System.nanoTime();
            ref = m.embed(sentences);
            secsBefore = (System.nanoTime() - t0) / 1e9;
            report.put("model", model.toString()).put("linear_parameters_before", BertShrink.of(m, BertShrink.range(layers), null, null).linearParameters())
                    .put("linear_parameters_after", shrunk.linearParameters());
        }
        try (BertModel small = (BertModel) Slim4j.loadEncoder(out.toString())) {
            small.embed(sentences.subList(0, 256));
            long t0 = System.nanoTime();
            float[][] e = small.embed(sentences);
            double secsAfter = (System.nanoTime() - t0) / 1e9;
            CompressCommand.Quality before = CompressCommand.Quality.of(dev, ref, ref, sentences), after = CompressCommand.Quality.of(dev, ref, e, sentences);
            long paramsBefore = report.get("linear_parameters_before").asLong(), bytesAfter = Files.size(out.resolve("model.safetensors"));
            report.put("removed", String.format(Locale.ROOT, "heads %.2f, ffn %.2f, blocks %d, ffn-only blocks %d", heads, ffn, blocks, skipFfn))
                    .put("layers", small.config().layers()).put("file_bytes", bytesAfter)
                    .put("spearman_before", before.spearman()).put("spearman_after", after.spearman())
                    .put("mean_cosine", after.fidelity().meanCosine()).put("p1_cosine", after.fidelity().p1Cosine())
                    .put("min_cosine", after.fidelity().minCosine()).put("top10_overlap", after.fidelity().top10Overlap())
                    .put("sentences_per_s_before", sentences.size() / secsBefore).put("sentences_per_s_after", sentences.size() / secsAfter)
                    .put("speedup", secsBefore / secsAfter);
            Path abs = out.toAbsolutePath();
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(abs.resolveSibling(abs.getFileName() + "-report.json").toFile(), report);
            o.printf(Locale.ROOT, "shrunk %s: %d layers, linear parameters %d -> %d, model.safetensors %.2f MB%n", model, small.config().layers(),
                    paramsBefore, report.get("linear_parameters_after").asLong(), bytesAfter / 1e6);
            o.printf(Locale.ROOT, "STS-B dev (%d sentences): Spearman %.2f -> %.2f, mean cosine %.5f, 1st pct %.5f, min %.5f, top-10 overlap %.4f%n",
                    sentences.size(), before.spearman(), after.spearman(), after.fidelity().meanCosine(), after.fidelity().p1Cosine(),
                    after.fidelity().minCosine(), after.fidelity().top10Overlap());
            o.printf(Locale.ROOT, "speed (same run, %d threads): %.1f -> %.1f sentences/s (x%.2f)%n", threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), sentences.size() / secsBefore,
                    sentences.size() / secsAfter, secsBefore / secsAfter);
            o.printf(Locale.ROOT, "wrote %s, %s-report.json%n", out, out);
        }
        return 0;
    }
}
