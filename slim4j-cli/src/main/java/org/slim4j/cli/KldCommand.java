package org.slim4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.KlDivergence;
import org.slim4j.eval.LogitCache;
import org.slim4j.model.CausalLM;
import org.slim4j.util.Threads;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "kld", mixinStandardHelpOptions = true,
        description = {"KL divergence of a model's next-token distributions to a base model's over the same chunks,",
            "with the statistics llama.cpp prints (percentiles, delta-p, same top p).",
            "The base comes from --base MODEL, or from a cache written earlier with --save-base-logits.",
            "The cache types (-ctk/-ctv, KIVI) apply to the model; the base always runs with a float32 KV cache,",
            "so '-m M --base M -ctk q8_0 -ctv q8_0' measures what the quantized cache costs."})
final class KldCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin TextChunkOptions text;
    @Mixin CacheOptions cache;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Base base;

    static final class Base {
        @Option(names = "--base", paramLabel = "MODEL", description = "The original model.") String model;
        @Option(names = "--base-logits", paramLabel = "FILE", description = "Base logits saved by --save-base-logits.") Path logits;
    }

    @Option(names = "--save-base-logits", paramLabel = "FILE", description = "With --base: also save its logits for later runs.")
    Path save;

    @Override
    public Integer call() throws Exception {
        if (save != null && base.model == null) throw new BadInputException("--save-base-logits", null, "needs --base MODEL");
        return Threads.run(model.threads, () -> {
            try (TextChunkOptions.Loaded loaded = text.load(model.model, model.engine().withKvCache(cache.options()))) {
                CausalLM lm = loaded.lm();
                Chunks chunks = loaded.chunks();
                KlDivergence.Result r;
                if (base.logits != null) {
                    try (LogitCache cache = LogitCache.open(base.logits)) {
                        cache.checkMatches(chunks, lm.vocabSize());
                        r = KlDivergence.run(lm, chunks, cache);
                    }
                } else {
                    try (CausalLM b = Slim4j.loadCausalLM(base.model, model.engine())) {
                        if (b.vocabSize() != lm.vocabSize()) {
                            throw new BadInputException(base.model, "vocab_size", b.vocabSize() + " differs from the model's " + lm.vocabSize());
                        }
                        if (save != null) {
                            LogitCache.write(save, b, chunks);
                            try (LogitCache cache = LogitCache.open(save)) {
                                r = KlDivergence.run(lm, chunks, cache);
                            }
                        } else {
                            r = KlDivergence.run(lm, chunks, KlDivergence.BaseLogits.of(b, chunks));
                        }
                    }
                }
                spec.commandLine().getOut().print(r.table());
            }
            return 0;
        });
    }
}
