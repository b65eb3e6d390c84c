package org.slim4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slim4j.Slim4j;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.model.bert.FastBert;
import org.slim4j.util.DataFiles;
import org.slim4j.bench.DecoderBench;
import org.slim4j.bench.EncoderBench;
import org.slim4j.bench.OrtEncoder;
import org.slim4j.util.BadInputException;

/**
 * `slim4j bench` for encoders: slim4j's fast path (and --also models, e.g. compressed folders of the same model)
 * next to ONNX Runtime on the same .onnx file (and on an int8 .onnx with --vs-ort-int8), same sentences, same
 * threads, alternating repetitions; quality of each row against ONNX Runtime fp32 from the same pass.
 */
final class EncoderBenchCommand {
    private final BenchCommand o;

    EncoderBenchCommand(BenchCommand options) {
        this.o = options;
    }

    Integer call() throws Exception {
        for (int b : o.batches) if (b < 1) throw new BadInputException("--batch", null, "batch sizes must be >= 1, got " + b);
        if (o.maxLength < 2) throw new BadInputException("--max-length", null, "must be >= 2, got " + o.maxLength);
        String spec = o.model.toString();
        Path onnx = Slim4j.file(spec);
        if (!onnx.getFileName().toString().endsWith(".onnx")) {
            throw new BadInputException(o.model, "model", "the ONNX Runtime anchor needs an .onnx file or built-in name; bench a compressed folder with -m BASE --also FOLDER");
        }
        StsB stsb = StsB.read(o.stsb != null ? o.stsb : DataFiles.find("stsb-dev.tsv"));
        List<String> sentences = stsb.sentences();
        if (o.sentences > 0) sentences = sentences.subList(0, Math.min(o.sentences, sentences.size()));

        List<EncoderBench.Engine> engines = new ArrayList<>();
        List<Long> rssAfterLoad = new ArrayList<>();
        try {
            List<String> mine = new ArrayList<>();
            mine.add(spec);
            if (o.also != null) mine.addAll(o.also);
            for (String m : mine) {
                long t0 = System.nanoTime();
                Encoder e = load(m);
                String fmt = e instanceof FastBert f ? f.format() : "fp32-exact";
                engines.add(new EncoderBench.Engine("slim4j " + label(m), fmt, e, (System.nanoTime() - t0) / 1e9));
                e.embed(sentences.subList(0, Math.min(64, sentences.size())));
                rssAfterLoad.add(DecoderBench.peakRss());
            }
            BertModel base = engines.getFirst().encoder() instanceof FastBert f ? f.model() : (BertModel) engines.getFirst().encoder();
            boolean cls = base.conventions().pooling() == Conventions.Pooling.CLS;
            engines.add(ort("ORT " + label(spec), "fp32", onnx, base, cls));
            rssAfterLoad.add(-1L);
            if (o.ortInt8 != null) {
                engines.add(ort("ORT " + label(o.ortInt8), "int8-dyn", ortFile(o.ortInt8), base, cls));
                rssAfterLoad.add(-1L);
            }
            List<EncoderBench.Result> res = EncoderBench.run(engines, sentences, o.batches, o.reps, stsb);
            print(res, rssAfterLoad, sentences.size());
        } finally {
            for (EncoderBench.Engine e : engines) e.encoder().close();
        }
        return 0;
    }

    private Encoder load(String m) {
        Encoder e = Slim4j.loadEncoder(m);
        if (o.exact || !(e instanceof BertModel b)) return e;
        try {
            return new FastBert(b, o.threads, o.maxLength);
        } catch (IllegalArgumentException ex) {
            System.err.println("slim4j: " + m + ": " + ex.getMessage() + "; benchmarking the exact path");
            return e;
        }
    }

    private EncoderBench.Engine ort(String name, String fmt, Path file, BertModel base, boolean cls) {
        long t0 = System.nanoTime();
        OrtEncoder e = new OrtEncoder(file, base.tokenizer(), cls, o.maxLength, o.threads);
        return new EncoderBench.Engine(name, fmt, e, (System.nanoTime() - t0) / 1e9);
    }

    /** An .onnx path, or a classpath model name such as all-minilm-l6-v2-q. */
    private static Path ortFile(String spec) {
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) return p;
        try {
            return DefaultModels.files(spec.toLowerCase(Locale.ROOT))[0];
        } catch (IllegalStateException e) {
            throw new BadInputException(spec, "--vs-ort-int8", "neither an .onnx file nor a built-in model (all-minilm-l6-v2-q, bge-small-en-v1.5-q)");
        }
    }

    private static String label(String spec) {
        Path p = Path.of(spec).getFileName();
        return p == null ? spec : p.toString().replaceFirst("\\.onnx$", "");
    }

    private void print(List<EncoderBench.Result> res, List<Long> rss, int n) throws Exception {
        EncoderBench.Result mine = res.getFirst();
        int ortAt = res.size() - (o.ortInt8 != null ? 2 : 1);
        EncoderBench.Result ortFp32 = res.get(ortAt), ortInt8 = o.ortInt8 != null ? res.getLast() : null;
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("model", o.model.toString()).put("threads", o.threads).put("sentences", n).put("max_length", o.maxLength)
                .put("repetitions", o.reps).put("peak_rss_bytes", DecoderBench.peakRss());
        ArrayNode rows = root.putArray("engines");
        for (int i = 0; i < res.size(); i++) {
            EncoderBench.Result r = res.get(i);
            ObjectNode row = rows.addObject();
            row.put("engine", r.engine().name()).put("format", r.engine().format()).put("load_s", r.engine().loadS());
            if (rss.get(i) > 0) row.put("peak_rss_after_load_bytes", rss.get(i));
            for (int b = 0; b < o.batches.length; b++) {
                String k = "batch" + o.batches[b];
                row.put(k + "_sps", r.mean()[b]).put(k + "_std", r.std()[b]);
                if (r != ortFp32) row.put(k + "_vs_ort_fp32", r.mean()[b] / ortFp32.mean()[b]);
                if (ortInt8 != null && r != ortInt8) row.put(k + "_vs_ort_int8", r.mean()[b] / ortInt8.mean()[b]);
            }
            if (r != ortFp32) {
                Fidelity f = EncoderBench.fidelity(ortFp32, r);
                row.put("cosine_vs_ort_fp32_mean", f.meanCosine()).put("cosine_vs_ort_fp32_min", f.minCosine()).put("top10_overlap", f.top10Overlap());
            }
            if (!Double.isNaN(r.spearman())) row.put("stsb_spearman100", r.spearman());
        }
        PrintWriter out = o.spec.commandLine().getOut();
        if (o.json) {
            out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            return;
        }
        out.printf(Locale.ROOT, "%d STS-B sentences, max length %d, %d threads, %d repetitions (alternating engines), sentences/s mean ± std%n",
                n, o.maxLength, o.threads, o.reps);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-34s %-10s %7s", "engine", "format", "load s"));
        for (int b : o.batches) head.append(String.format(Locale.ROOT, " %16s %8s %8s", "batch " + b, "/ORTfp32", ortInt8 != null ? "/ORTint8" : ""));
        head.append(String.format(Locale.ROOT, " %9s %9s %7s %9s", "cos mean", "cos min", "top-10", "Spearman"));
        out.println(head);
        for (JsonRow r : JsonRow.of(rows)) {
            StringBuilder l = new StringBuilder(String.format(Locale.ROOT, "%-34s %-10s %7.2f", r.s("engine"), r.s("format"), r.d("load_s")));
            for (int b : o.batches) {
                String k = "batch" + b;
                l.append(String.format(Locale.ROOT, " %9.1f ± %4.1f %8s %8s", r.d(k + "_sps"), r.d(k + "_std"), r.f(k + "_vs_ort_fp32", "%.2fx"), r.f(k + "_vs_ort_int8", "%.2fx")));
            }
            l.append(String.format(Locale.ROOT, " %9s %9s %7s %9s", r.f("cosine_vs_ort_fp32_mean", "%.6f"), r.f("cosine_vs_ort_fp32_min", "%.6f"),
                    r.f("top10_overlap", "%.4f"), r.f("stsb_spearman100", "%.2f")));
            out.println(l);
        }
        out.println("kernels: " + BenchCommand.kernels());
        out.printf(Locale.ROOT, "peak RSS %.1f MB (whole process, every engine); after loading and warming %s: %.1f MB%n",
                DecoderBench.peakRss() / 1e6, mine.engine().name(), rss.getFirst() / 1e6);
    }

    private record JsonRow(ObjectNode n) {
        static List<JsonRow> of(ArrayNode a) {
            List<JsonRow> l = new ArrayList<>();
            a.forEach(x -> l.add(new JsonRow((ObjectNode) x)));
            return l;
        }

        String s(String k) {
            return n.path(k).asText();
        }

        double d(String k) {
            return n.path(k).asDouble();
        }

        String f(String k, String fmt) {
            return n.has(k) ? String.format(Locale.ROOT, fmt, n.get(k).asDouble()) : "";
        }
    }
}
