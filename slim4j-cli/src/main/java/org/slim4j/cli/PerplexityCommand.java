package org.slim4j.cli;

import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.Perplexity;
import org.slim4j.model.CausalLM;
import org.slim4j.util.Threads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity with llama.cpp's protocol: whole text tokenized, chunks of -c tokens, second half of each scored.")
final class PerplexityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin TextChunkOptions text;
    @Mixin CacheOptions cache;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return Threads.run(model.threads, () -> {
            text.check();
            int[][] tokens = new int[1][]; // the text is read and tokenized while the engine loads
            try (CausalLM lm = Slim4j.loadCausalLM(model.model, model.engine().withKvCache(cache.options()), tok -> tokens[0] = text.tokens(tok))) {
                Chunks chunks = text.chunks(lm, tokens[0]);
                Perplexity.Result r = Perplexity.run(lm, chunks);
                spec.commandLine().getOut().println("Final estimate: " + r);
            }
            return 0;
        });
    }
}
