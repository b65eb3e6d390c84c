package org.slim4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.compress.structured.LlamaBlockRemoval;
import org.slim4j.compress.structured.LlamaImportance;
import org.slim4j.compress.structured.LlamaShrink;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.KlDivergence;
import org.slim4j.io.convert.HfToGguf;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.runtime.DataFiles;
import org.slim4j.runtime.ModelFiles;
import org.slim4j.runtime.Threads;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "shrink", mixinStandardHelpOptions = true,
        description = {"Structured removal for a Llama-family decoder (Hugging Face folder): KV groups or query heads, FFN",
            "channels and whole blocks ranked by calibration importance; writes a smaller HF folder (and a GGUF) and",
            "prints the KL divergence against the original on WikiText-2 chunks."})
final class ShrinkCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR", description = "Hugging Face Llama/Mistral/Qwen2 folder.") Path model;
    @Option(names = "--drop-kv-groups", defaultValue = "0", paramLabel = "N", description = "KV groups removed per layer, with their query heads.") int kvGroups;
    @Option(names = "--drop-heads-per-group", defaultValue = "0", paramLabel = "N", description = "Query heads removed from every KV group.") int headsPerGroup;
    @Option(names = "--drop-ffn", defaultValue = "0", paramLabel = "F", description = "Fraction of FFN channels removed per layer (kept count rounded to a multiple of 8).") double ffn;
    @Option(names = "--drop-blocks", defaultValue = "0", paramLabel = "N", description = "Whole blocks removed (least block influence).") int blocks;
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text (default: kjv-bible.txt).") List<Path> calib;
    @Option(names = "--samples", defaultValue = "32", paramLabel = "N", description = "Calibration sequences (default: 32).") int samples;
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
        if (ModelFiles.detect(model) != ModelFiles.Format.HF_FOLDER) throw new BadInputException(model, null, "shrink needs a Hugging Face folder (config.json + model.safetensors)");
        if (kvGroups == 0 && headsPerGroup == 0 && ffn == 0 && blocks == 0) throw new BadInputException("--drop-*", null, "nothing to remove: give --drop-kv-groups, --drop-heads-per-group, --drop-ffn or --drop-blocks");
        if (!(ffn >= 0 && ffn < 1)) throw new BadInputException("--drop-ffn", null, ffn + " must be in [0, 1)");
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
            int[][] cal = CalibrationText.tokens(calib != null ? calib : List.of(DataFiles.find("kjv-bible.txt")), m.tokenizer(), samples, seqLen, seed);
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
}
