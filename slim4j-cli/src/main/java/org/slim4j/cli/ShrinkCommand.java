package org.slim4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.compress.pipeline.ShrinkOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "shrink", mixinStandardHelpOptions = true,
        description = {"Structured removal ranked by calibration importance; writes a smaller Hugging Face folder.",
            "Llama-family decoders (HF folder): KV groups or query heads, FFN channels, whole blocks; prints the KL",
            "divergence against the original on WikiText-2 chunks (and can write a GGUF).",
            "BERT encoders (built-in name, ONNX or HF folder): heads, FFN channels, whole blocks or only their FFN;",
            "prints embedding fidelity and STS-B Spearman on STS-B dev and the speed before/after, and writes OUT-report.json."})
final class ShrinkCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "Hugging Face Llama/Mistral/Qwen2 folder, or an encoder.") String model;
    @Option(names = "--drop-kv-groups", defaultValue = "0", paramLabel = "N", description = "KV groups removed per layer, with their query heads.") int kvGroups;
    @Option(names = "--drop-heads-per-group", defaultValue = "0", paramLabel = "N", description = "Query heads removed from every KV group.") int headsPerGroup;
    @Option(names = "--drop-heads", defaultValue = "0", paramLabel = "F", description = "Encoders: fraction of attention heads removed per layer.") double heads;
    @Option(names = "--skip-ffn", defaultValue = "0", paramLabel = "N", description = "Encoders: blocks whose FFN is removed (least FFN influence).") int skipFfn;
    @Option(names = "--drop-ffn", defaultValue = "0", paramLabel = "F", description = "Fraction of FFN channels removed per layer (kept count rounded to a multiple of 8).") double ffn;
    @Option(names = "--drop-blocks", defaultValue = "0", paramLabel = "N", description = "Whole blocks removed (least block influence).") int blocks;
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text (default: kjv-bible.txt; STS-B train for encoders).") List<Path> calib;
    @Option(names = "--samples", paramLabel = "N", description = "Calibration sequences (default: 32) or sentences for encoders (default: 256).") Integer samples;
    @Option(names = "--seq-len", defaultValue = "128", paramLabel = "L", description = "Calibration sequence length (default: 128).") int seqLen;
    @Option(names = "--seed", defaultValue = "42", description = "Calibration sampling seed.") long seed;
    @Option(names = "--eval-chunks", defaultValue = "4", description = "Chunks of WikiText-2 for the KLD.") int evalChunks;
    @Option(names = "--ctx", defaultValue = "128", description = "Tokens per evaluation chunk.") int ctx;
    @Option(names = "--gguf", paramLabel = "FILE", description = "Also write the result as GGUF (matrices in their own dtype).") Path gguf;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Output Hugging Face folder.") Path out;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all cores).") int threads;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ShrinkOptions o = ShrinkOptions.to(out).dropKvGroups(kvGroups, headsPerGroup).dropHeads(heads).dropFfn(ffn).dropBlocks(blocks).skipFfn(skipFfn)
                .calibration(calib, samples, seqLen, seed).evaluation(evalChunks, ctx).gguf(gguf).threads(threads);
        spec.commandLine().getOut().print(Slim4j.shrink(model, o).summary());
        return 0;
    }
}
