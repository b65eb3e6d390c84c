package org.slim4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.Sts;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.model.bert.FastBert;
import org.slim4j.util.DataFiles;
import org.slim4j.bench.OrtEncoder;

/**
 * The main job of `./slim4j` with no arguments: the embedded all-MiniLM-L6-v2, run by slim4j and by ONNX Runtime
 * on the STS-B dev sentences, with quality (Spearman, fidelity to ORT) and speed side by side from the same run.
 */
final class DefaultJob implements Callable<Integer> {
    private static final int BATCH = 32;
    private final PrintWriter out;
    private final int threads;

    DefaultJob(PrintWriter out, int threads) {
        this.out = out;
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    @Override
    public Integer call() throws Exception {
        StsB stsb = StsB.read(DataFiles.find("stsb-dev.tsv"));
        List<String> sentences = stsb.sentences();
        Path[] files = DefaultModels.files("all-minilm-l6-v2");
        out.printf(Locale.ROOT, "all-MiniLM-L6-v2 (fp32 ONNX from Maven Central) on STS-B dev: %d pairs, %d sentences, %d threads, batch %d%n%n",
                stsb.pairs().size(), sentences.size(), threads, BATCH);
        Run ours, ort;
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            FastBert fast = new FastBert(m, threads, 0); // its close() would close m too: the pool alone is closed below
            try {
                ours = measure(fast, stsb, sentences);
            } finally {
                fast.closePool();
            }
            try (OrtEncoder o = new OrtEncoder(files[0], m.tokenizer(), m.conventions().pooling() == Conventions.Pooling.CLS,
                    m.config().maxPositions(), threads)) {
                ort = measure(o, stsb, sentences);
            }
        }
        Fidelity f = Fidelity.of(ort.embeddings, ours.embeddings);
        out.printf(Locale.ROOT, "%-26s %18s %16s%n", "engine", "Spearman x100", "sentences/s");
        out.printf(Locale.ROOT, "%-26s %18.2f %16.1f%n", "slim4j fp32 (fast path)", ours.spearman, ours.perSecond);
        out.printf(Locale.ROOT, "%-26s %18.2f %16.1f%n", "ONNX Runtime fp32", ort.spearman, ort.perSecond);
        out.printf(Locale.ROOT, "%nspeed slim4j / ONNX Runtime: %.2fx (same machine, same run)%n", ours.perSecond / ort.perSecond);
        out.printf(Locale.ROOT, "slim4j vs ONNX Runtime embeddings: mean cosine %.7f, min %.7f, top-10 overlap %.4f%n",
                f.meanCosine(), f.minCosine(), f.top10Overlap());
        return 0;
    }

    private record Run(float[][] embeddings, double spearman, double perSecond) {}

    private Run measure(Encoder enc, StsB stsb, List<String> sentences) {
        enc.embed(sentences.subList(0, Math.min(64, sentences.size()))); // warm-up: JIT and native init
        long t0 = System.nanoTime();
        float[][] e = new float[sentences.size()][];
        for (int i = 0; i < sentences.size(); i += BATCH) {
            float[][] part = enc.embed(sentences.subList(i, Math.min(sentences.size(), i + BATCH)));
            System.arraycopy(part, 0, e, i, part.length);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, float[]> by = new HashMap<>();
        for (int i = 0; i < e.length; i++) by.put(sentences.get(i), e[i]);
        return new Run(e, Sts.spearman100(stsb, by::get), sentences.size() / secs);
    }
}
