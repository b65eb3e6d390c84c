package org.slim4j.cli;

import java.util.concurrent.Callable;
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
            try (TextChunkOptions.Loaded loaded = text.load(model.model, model.engine().withKvCache(cache.options()))) {
                CausalLM lm = loaded.lm();
                Chunks chunks = loaded.chunks();
                Perplexity.Result r = Perplexity.run(lm, chunks);
                spec.commandLine().getOut().println("Final estimate: " + r);
            }
            return 0;
        });
    }
}
