package org.slim4j.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.eval.Sts;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;
import org.slim4j.util.Threads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "sts", mixinStandardHelpOptions = true,
        description = "Spearman x100 between the cosine similarity of sentence pairs and the STS-B gold scores.")
final class StsCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin EncoderDataOptions data;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StsB stsb = data.read();
        return Threads.run(model.threads, () -> {
            try (Encoder enc = Slim4j.loadEncoder(model.model, model.engine())) {
                double s = Sts.spearman100(stsb, enc);
                spec.commandLine().getOut().printf(Locale.ROOT, "STS-B Spearman x100 = %.2f (%d pairs, %d malformed lines skipped)%n",
                        s, stsb.pairs().size(), stsb.malformed());
            }
            return 0;
        });
    }
}
