package org.slim4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slim4j.Slim4j;
import org.slim4j.model.llama.Decoder;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.bench.DecoderBench;
import org.slim4j.util.Threads;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.tensor.kernel.NativeKernels;
import org.slim4j.util.BadInputException;
import org.slim4j.tensor.kernel.KvCacheOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Decoder throughput the way llama-bench measures it (pp = prompt batch, tg = single-token decode), plus load time
 * and peak RSS, optionally next to llama-bench itself run on the same file with the same threads. Encoders go to
 * {@link EncoderBenchCommand} (ONNX Runtime as the anchor).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchSparseCommand.class,
        description = {"Decoders: tg/pp tokens/s (vs llama-bench), at a cache depth (-d) and KV cache type (-ctk/-ctv, KIVI) of choice, with the",
            "cache's bytes; encoders: sentences/s at batch 1 and 32 on STS-B (vs ONNX Runtime); load time and peak RSS."})
final class BenchCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "A .gguf file, Hugging Face folder, encoder .onnx file or built-in encoder name.") Path model;
    @Option(names = {"-t", "--threads"}, defaultValue = "2", description = "Threads (default: ${DEFAULT-VALUE}).") int threads;
    @Option(names = {"-p", "--n-prompt"}, defaultValue = "128", description = "Prompt tokens for pp (default: ${DEFAULT-VALUE}).") int nPrompt;
    @Option(names = {"-n", "--n-gen"}, defaultValue = "64", description = "Generated tokens for tg (default: ${DEFAULT-VALUE}).") int nGen;
    @Option(names = {"-d", "--n-depth"}, defaultValue = "0", description = "Tokens already in the cache when pp and tg start (llama-bench's -d; default: ${DEFAULT-VALUE}).") int depth;
    @Mixin CacheOptions cache;
    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "Timed repetitions after the warm-up (decoders: 2 s of untimed runs; default: ${DEFAULT-VALUE}).") int reps;
    @Option(names = "--exact", description = "Use the float32 reference path (LlamaModel) instead of the fast one.") boolean exact;
    @Option(names = "--json", description = "Print JSON instead of a table.") boolean json;
    @Option(names = "--vs-llama-bench", paramLabel = "PATH", description = "Also run llama.cpp's llama-bench (the program, or the folder holding it) on the same file and print the ratios.")
    Path llamaBench;
    @Option(names = "--batch", split = ",", defaultValue = "1,32", description = "Encoders: batch sizes (default: ${DEFAULT-VALUE}).") int[] batches;
    @Option(names = "--sentences", defaultValue = "0", description = "Encoders: the first N STS-B dev sentences (default: all).") int sentences;
    @Option(names = "--max-length", defaultValue = "128", description = "Encoders: tokens per sentence at most (default: ${DEFAULT-VALUE}).") int maxLength;
    @Option(names = "--also", paramLabel = "MODEL", description = "Encoders: another slim4j encoder in the same run (e.g. a compressed folder of the same model); repeatable.")
    List<String> also;
    @Option(names = "--vs-ort-int8", paramLabel = "MODEL", description = "Encoders: also run ONNX Runtime on this int8 .onnx (or built-in name: all-minilm-l6-v2-q, bge-small-en-v1.5-q).")
    String ortInt8;
    @Option(names = "--stsb", paramLabel = "TSV", description = "Encoders: STS-B file (default: stsb-dev.tsv from $SLIM4J_DATA or ../shared/data).") Path stsb;

    @Override
    public Integer call() throws Exception {
        if (model == null) throw new BadInputException("options", null, "name a model with -m (or run 'bench sparse')");
        if (reps < 1 || nPrompt < 0 || nGen < 0 || depth < 0 || threads < 1) throw new BadInputException("options", null, "need -r >= 1, -p/-n/-d >= 0, -t >= 1");
        Threads.check(threads);
        if (sentences < 0 || maxLength < 1) throw new BadInputException("--sentences/--max-length", null, "need --sentences >= 0 (0: all) and --max-length >= 1");
        if (exact && !cache.isDefault()) throw new BadInputException("--exact", null, "the reference path keeps a float32 KV cache; drop -ctk/-ctv or --exact");
        if (Slim4j.kindOf(model.toString()) == Slim4j.Kind.ENCODER) return new EncoderBenchCommand(this).call();
        long t0 = System.nanoTime();
        LlamaModel llama = LlamaLoader.load(model);
        // the cache holds -d + max(-p, -n) + 1 positions; past the model's context the session refused it with a bare
        // "capacity 2081 must be in [1, 2048]" (exit 2, but naming neither the model nor the flags), and a huge -d
        // overflowed the int sum into a negative capacity
        long needed = (long) depth + Math.max(nPrompt, nGen) + 1;
        if (needed > llama.contextLength()) {
            llama.close();
            throw new BadInputException(model, "-d/-p/-n", "-d " + depth + " + max(-p " + nPrompt + ", -n " + nGen + ") + 1 = " + needed
                    + " cache positions, more than the model's context of " + llama.contextLength() + " tokens; lower -d");
        }
        Decoder d = exact ? llama : new FastLlama(llama, EngineOptions.defaults().withThreads(threads).withKvCache(cache.options()), true);
        double loadS = (System.nanoTime() - t0) / 1e9;
        DecoderBench.Result r;
        // Jackson only when llama-bench's JSON is read during the run: otherwise its ~370 classes would count in the
        // decoder's peak RSS below, and decoding (slim4j generate, the Java API) loads none of them. (No method here
        // names a Jackson type: picocli reads every command's methods at start-up, which would load them for all.)
        java.util.Map<String, Double> cpp = null;
        try (d) {
            if (llamaBench == null) {
                r = exact ? Threads.run(threads, () -> DecoderBench.run(d, nPrompt, nGen, depth, reps)) : DecoderBench.run(d, nPrompt, nGen, depth, reps);
            } else {
                // alternate one repetition each, so a shared machine's load changes hit both engines alike
                var session = d.newSession(DecoderBench.capacity(nPrompt, nGen, depth));
                if (exact) Threads.run(threads, () -> DecoderBench.run(d, session, nPrompt, nGen, depth, 0, true));
                else DecoderBench.run(d, session, nPrompt, nGen, depth, 0, true); // warm-up only
                double[][] mine = new double[2][reps], theirs = new double[2][reps];
                for (int i = 0; i < reps; i++) {
                    DecoderBench.Result one = exact ? Threads.run(threads, () -> DecoderBench.run(d, session, nPrompt, nGen, depth, 1, false))
                            : DecoderBench.run(d, session, nPrompt, nGen, depth, 1, false);
                    java.util.Map<String, Double> c = runLlamaBench(1);
                    mine[0][i] = one.ppTps();
                    mine[1][i] = one.tgTps();
                    theirs[0][i] = c.getOrDefault("pp_tps", 0.0);
                    theirs[1][i] = c.getOrDefault("tg_tps", 0.0);
                }
                r = new DecoderBench.Result(DecoderBench.mean(mine[0]), DecoderBench.std(mine[0]), DecoderBench.mean(mine[1]), DecoderBench.std(mine[1]),
                        session.cacheBytes());
                cpp = new java.util.LinkedHashMap<>();
                if (nPrompt > 0) {
                    cpp.put("pp_tps", DecoderBench.mean(theirs[0]));
                    cpp.put("pp_std", DecoderBench.std(theirs[0]));
                }
                if (nGen > 0) {
                    cpp.put("tg_tps", DecoderBench.mean(theirs[1]));
                    cpp.put("tg_std", DecoderBench.std(theirs[1]));
                }
            }
        }
        long rss = DecoderBench.peakRss();
        ObjectMapper om = new ObjectMapper();
        long fileBytes = org.slim4j.io.ModelFiles.bytesOnDisk(model);
        var c = llama.config();
        int positions = DecoderBench.capacity(nPrompt, nGen, depth);
        long f32Bytes = 2L * c.layers() * positions * c.kvDim() * 4;
        KvCacheOptions kv = cache.options();

        ObjectNode o = om.createObjectNode();
        o.put("kernels", exact ? "exact" : kernels());
        o.put("model", model.toString()).put("path", exact ? "exact" : d instanceof FastLlama f && f.act8() ? "fast-act8" : "fast").put("threads", threads)
                .put("load_s", loadS).put("pp_n", nPrompt).put("pp_tps", r.ppTps()).put("pp_std", r.ppStd())
                .put("tg_n", nGen).put("tg_tps", r.tgTps()).put("tg_std", r.tgStd())
                .put("depth", depth).put("peak_rss_bytes", rss).put("file_bytes", fileBytes)
                .put("cache_type_k", kv.k().cliName()).put("cache_type_v", kv.v().cliName()).put("cache", kv.describe()).put("cache_positions", positions)
                .put("kv_cache_bytes", r.cacheBytes()).put("kv_cache_f32_bytes", f32Bytes).put("kv_cache_ratio", (double) r.cacheBytes() / f32Bytes);
        if (cpp != null) {
            ObjectNode cn = o.putObject("llama_bench");
            cpp.forEach(cn::put);
            if (cpp.containsKey("pp_tps") && r.ppTps() > 0) o.put("pp_ratio", r.ppTps() / cpp.get("pp_tps"));
            if (cpp.containsKey("tg_tps") && r.tgTps() > 0) o.put("tg_ratio", r.tgTps() / cpp.get("tg_tps"));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            return 0;
        }
        String at = depth > 0 ? " @ d" + depth : "";
        out.printf(Locale.ROOT, "%-8s %7s %8s %16s %16s %10s %10s %12s%n", "engine", "threads", "load s", "pp" + nPrompt + at + " t/s", "tg" + nGen + at + " t/s",
                "RSS MB", "file MB", "KV cache MB");
        out.printf(Locale.ROOT, "%-8s %7d %8.2f %9.1f ± %4.1f %9.1f ± %4.1f %10.1f %10.1f %12.2f%n", exact ? "exact" : "slim4j", threads, loadS,
                r.ppTps(), r.ppStd(), r.tgTps(), r.tgStd(), rss / 1e6, fileBytes / 1e6, r.cacheBytes() / 1e6);
        out.printf(Locale.ROOT, "KV cache: %s, %d positions, %.2f MB = %.1f%% of float32's %.2f MB%n", kv.describe(), positions, r.cacheBytes() / 1e6,
                100.0 * r.cacheBytes() / f32Bytes, f32Bytes / 1e6);
        if (cpp != null) {
            out.printf(Locale.ROOT, "%-8s %7d %8s %9.1f ± %4.1f %9.1f ± %4.1f%n", "llama.cpp", threads, "",
                    cpp.getOrDefault("pp_tps", 0.0), cpp.getOrDefault("pp_std", 0.0), cpp.getOrDefault("tg_tps", 0.0), cpp.getOrDefault("tg_std", 0.0));
            out.printf(Locale.ROOT, "%-8s %7s %8s %16.2f %16.2f%n", "ratio", "", "", o.path("pp_ratio").asDouble(), o.path("tg_ratio").asDouble());
        }
        if (!exact) out.println("kernels: " + kernels());
        return 0;
    }

    /** llama-bench -m MODEL -p P -n N -t T -r R -o json: its pp and tg rows' mean and stddev tokens/s. */
    private java.util.Map<String, Double> runLlamaBench(int r) throws Exception {
        Path exe = java.nio.file.Files.isDirectory(llamaBench) ? llamaBench.resolve("llama-bench") : llamaBench; // llama.cpp's bin folder will do
        if (!java.nio.file.Files.isExecutable(exe)) throw new BadInputException(exe, "--vs-llama-bench", "not an executable llama-bench (scripts/llama-cpp.sh installs one)");
        List<String> cmd = new java.util.ArrayList<>(List.of(exe.toString(), "-m", model.toString(), "-p", String.valueOf(nPrompt), "-n", String.valueOf(nGen),
                "-t", String.valueOf(threads), "-r", String.valueOf(r), "-o", "json"));
        if (depth > 0) cmd.addAll(List.of("-d", String.valueOf(depth)));
        KvCacheOptions kv = cache.options();
        if (kv.k().kivi() || kv.v().kivi() || kv.hadamard()) throw new BadInputException("--vs-llama-bench", null, "llama.cpp has no KIVI cache or Hadamard switch; compare f32/f16/q8_0/q4_0");
        if (!cache.isDefault()) cmd.addAll(List.of("-ctk", kv.k().cliName(), "-ctv", kv.v().cliName(), "-fa", "1")); // a quantized V cache needs flash attention
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new BadInputException(llamaBench, "--vs-llama-bench", "llama-bench failed (exit " + p.exitValue() + ")");
        }
        java.util.Map<String, Double> res = new java.util.LinkedHashMap<>();
        for (JsonNode row : new ObjectMapper().readTree(text)) {
            if (row.path("n_prompt").asInt() == 0 && row.path("n_gen").asInt() == 0) continue;
            String k = row.path("n_gen").asInt() > 0 ? "tg" : "pp";
            res.put(k + "_tps", row.path("avg_ts").asDouble());
            res.put(k + "_std", row.path("stddev_ts").asDouble());
        }
        return res;
    }

    /** Which kernels the fast path runs: the C ones (and for what), or the Java ones and why. */
    static String kernels() {
        return EngineOptions.defaults().cKernels() && NativeKernels.available() ? "C, " + NativeKernels.status()
                : "Java (" + (EngineOptions.defaults().cKernels() ? "C kernels " + NativeKernels.status() : "-Dslim4j.ckernels=false") + ")";
    }
}
