package org.slim4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.eval.Fidelity;
import org.slim4j.model.Encoder;
import org.slim4j.util.Threads;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fidelity", mixinStandardHelpOptions = true,
        description = "How close a model's embeddings are to a base model's on the same sentences: cosine (mean, 1st percentile, min) and top-10 neighbour overlap.")
final class FidelityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin EncoderDataOptions data;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--base", required = true, paramLabel = "MODEL", description = "The original model.") String base;
    @Option(names = {"-f", "--file"}, paramLabel = "TEXT", description = "Sentences, one per line (default: the STS-B sentences).") Path file;

    @Override
    public Integer call() throws Exception {
        List<String> sentences = file != null ? lines(file) : data.read().sentences();
        return Threads.run(model.threads, () -> {
            float[][] ref, cand;
            try (Encoder b = Slim4j.loadEncoder(base, model.engine())) {
                ref = b.embed(sentences);
            }
            try (Encoder m = Slim4j.loadEncoder(model.model, model.engine())) {
                cand = m.embed(sentences);
            }
            if (ref[0].length != cand[0].length) {
                throw new BadInputException(model.model, "hidden_size", cand[0].length + " differs from the base's " + ref[0].length);
            }
            Fidelity f = Fidelity.of(ref, cand);
            spec.commandLine().getOut().printf(Locale.ROOT,
                    "%d sentences: mean cosine %.6f, 1st percentile %.6f, min %.6f, top-10 overlap %.4f%n",
                    sentences.size(), f.meanCosine(), f.p1Cosine(), f.minCosine(), f.top10Overlap());
            return 0;
        });
    }

    private static List<String> lines(Path p) throws IOException {
        List<String> l = TextFiles.lines(p, "--file");
        if (l.size() < 11) throw new BadInputException(p, "--file", "needs at least 11 sentences for top-10 overlap, has " + l.size());
        return l;
    }
}
