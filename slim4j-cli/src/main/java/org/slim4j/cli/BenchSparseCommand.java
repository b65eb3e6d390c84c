package org.slim4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.bench.SparseBench;
import org.slim4j.tensor.kernel.NativeLinears;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `slim4j bench sparse`: the 2:4 and factor-pair kernels against dense at real layer shapes, and whole encoders. */
@Command(name = "sparse", mixinStandardHelpOptions = true,
        description = "Dense vs 2:4 sparse vs low-rank factor pairs at the same shapes (one thread), as speed ratios to dense "
                + "measured in the same run; with --encoder, embedding throughput of a compressed folder with its native kernels vs dense.")
final class BenchSparseCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shapes", split = ",", paramLabel = "OUTxIN",
            defaultValue = "384x384,1536x384,384x1536,1536x576,576x1536",
            description = "Weight shapes out x in (default: MiniLM attention / FFN, SmolLM2-135M FFN: ${DEFAULT-VALUE}).") List<String> shapes;
    @Option(names = "--batch", split = ",", defaultValue = "1,32", description = "Input rows per call (default: ${DEFAULT-VALUE}).") List<Integer> batches;
    @Option(names = "--ranks", split = ",", defaultValue = "64,128", description = "Factor-pair ranks (default: ${DEFAULT-VALUE}).") List<Integer> ranks;
    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Alternating repetitions (default: ${DEFAULT-VALUE}).") int reps;
    @Option(names = "--encoder", paramLabel = "DIR", description = "Compressed-tensors BERT folders to embed with native kernels on and off.") List<Path> encoders;
    @Option(names = "--texts", defaultValue = "128", description = "Texts per embedding run (default: ${DEFAULT-VALUE}).") int texts;

    @Override
    public Integer call() {
        if (reps < 1 || texts < 1) throw new BadInputException("options", null, "need -r >= 1 and --texts >= 1");
        PrintWriter out = spec.commandLine().getOut();
        int[] r = ranks.stream().mapToInt(Integer::intValue).toArray();
        out.printf(Locale.ROOT, "%-10s %5s  %-10s %12s %10s%n", "out x in", "batch", "kernel", "us/call", "vs dense");
        for (String s : shapes) {
            String[] p = s.toLowerCase(Locale.ROOT).split("x");
            if (p.length != 2) throw new BadInputException("--shapes", s, "expected OUTxIN, e.g. 384x1536");
            int o = Integer.parseInt(p[0].trim()), in = Integer.parseInt(p[1].trim());
            for (int b : batches) {
                for (SparseBench.Row row : SparseBench.run(o, in, b, r, reps, 30)) {
                    out.printf(Locale.ROOT, "%-10s %5d  %-10s %12.1f %9.2fx%n", o + "x" + in, b, row.variant(), row.micros(), row.speedup());
                }
            }
        }
        if (encoders != null) for (Path e : encoders) encoder(out, e);
        return 0;
    }

    /** Same folder, same weights: native kernels on vs off, alternated. */
    private void encoder(PrintWriter out, Path dir) {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < texts; i++) t.add("Sentence number " + i + " talks about a man playing a guitar while the cat sat on the mat near the station.");
        try (BertModel m = BertLoader.loadHf(dir, Conventions.ALL_MINILM)) {
            double[][] tps = new double[2][reps];
            for (int warm = 0; warm < 2; warm++) for (boolean on : new boolean[] {true, false}) timed(m, t, on);
            for (int i = 0; i < reps; i++) {
                tps[0][i] = timed(m, t, true);
                tps[1][i] = timed(m, t, false);
            }
            double nat = SparseBench.median(tps[0]), dense = SparseBench.median(tps[1]);
            out.printf(Locale.ROOT, "encoder %s: native kernels %.1f texts/s, dense %.1f texts/s, ratio %.2fx%n", dir, nat, dense, nat / dense);
        } finally {
            NativeLinears.setEnabled(true);
        }
    }

    private static double timed(BertModel m, List<String> t, boolean on) {
        NativeLinears.setEnabled(on);
        long t0 = System.nanoTime();
        m.embed(t);
        return t.size() / ((System.nanoTime() - t0) / 1e9);
    }
}
