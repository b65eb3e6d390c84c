package org.slim4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.model.Models;
import org.slim4j.model.llama.Decoder;
import org.slim4j.model.llama.Generator;
import org.slim4j.model.llama.Sampler;
import org.slim4j.util.Threads;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a decoder model (greedy, or temperature/top-k/top-p sampling with a seed).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin CacheOptions cache;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt.") String prompt;
    @Option(names = {"-n", "--n-predict"}, defaultValue = "64", description = "New tokens at most (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--temp", defaultValue = "0", description = "Temperature; 0 is greedy (default: ${DEFAULT-VALUE}).") double temp;
    @Option(names = "--top-k", defaultValue = "40", description = "Keep the k likeliest tokens; 0 keeps all (default: ${DEFAULT-VALUE}).") int topK;
    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus: keep tokens up to this total probability (default: ${DEFAULT-VALUE}).") double topP;
    @Option(names = {"-s", "--seed"}, defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--ids", description = "Print token ids instead of text.") boolean ids;
    @Option(names = "--exact", description = "Use the float32 reference path (LlamaModel) instead of the fast kernels.") boolean exact;

    @Override
    public Integer call() throws Exception {
        if (n < 0) throw new BadInputException("--n-predict", null, "must be >= 0, got " + n);
        if (!(temp >= 0) || Double.isInfinite(temp)) throw new BadInputException("--temp", null, "must be a number >= 0, got " + temp);
        if (topK < 0) throw new BadInputException("--top-k", null, "must be >= 0 (0 keeps all tokens), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new BadInputException("--top-p", null, "must be in (0, 1], got " + topP);
        if (exact && !cache.isDefault()) throw new BadInputException("--exact", null, "the reference path keeps a float32 KV cache; drop -ctk/-ctv or --exact");
        return Threads.run(model.threads, () -> {
            try (Decoder lm = exact ? Models.decoder(model.model) : (Decoder) Slim4j.loadCausalLM(model.model, model.engine().withKvCache(cache.options()))) {
                int[] promptIds = lm.promptIds(prompt);
                if (promptIds.length > lm.contextLength()) {
                    throw new BadInputException("--prompt", null, promptIds.length + " tokens are more than the model's context of " + lm.contextLength());
                }
                PrintWriter out = spec.commandLine().getOut();
                if (!ids) out.print(prompt);
                out.flush();
                long t0 = System.nanoTime();
                // Text is printed as the decoded difference of the whole continuation, so a character split across
                // byte-level tokens appears once it is complete.
                var sofar = new java.util.ArrayList<Integer>();
                StringBuilder shown = new StringBuilder();
                int[] generated = new Generator(lm).generate(promptIds, n, Sampler.random(temp, topK, topP, seed), tok -> {
                    if (ids) {
                        out.print(tok + " ");
                    } else {
                        sofar.add(tok);
                        String text = lm.tokenizer().decode(sofar.stream().mapToInt(Integer::intValue).toArray());
                        if (text.startsWith(shown.toString()) && !text.endsWith("\uFFFD")) {
                            out.print(text.substring(shown.length()));
                            shown.setLength(0);
                            shown.append(text);
                        }
                    }
                    out.flush();
                });
                out.println();
                double secs = (System.nanoTime() - t0) / 1e9;
                System.err.printf(Locale.ROOT, "%d prompt tokens, %d generated in %.2f s (%.1f tokens/s including prefill)%n",
                        promptIds.length, generated.length, secs, generated.length / secs);
            }
            return 0;
        });
    }
}
