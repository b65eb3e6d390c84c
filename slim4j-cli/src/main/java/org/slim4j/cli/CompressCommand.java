package org.slim4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.compress.pipeline.CompressOptions;
import org.slim4j.compress.pipeline.CompressionResult;
import org.slim4j.compress.pipeline.Compression;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "compress", mixinStandardHelpOptions = true,
        description = {"Compress a model by a recipe or a scheme shortcut, layer by layer on calibration text; write it and a report.",
            "With no arguments: all-MiniLM-L6-v2 with the best 4-bit recipe (" + Compression.BEST + "), before/after table."})
final class CompressCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Model (default with no arguments: all-minilm-l6-v2).") String model;
    @Option(names = "--scheme", paramLabel = "S", description = "Shortcut: w8, w4g128, w4g64-gptq, w4g32-awq, w3g32-gptq-asym, ... (-emb: quantize embeddings too; -mix: attention value/output projections at 8 bits, embeddings in groups of 32); or a llama.cpp type (q8_0, q4_0, q4_k_m, q6_k, ...) to write a GGUF; or lossless (the same bits, exponents Huffman-coded).") String scheme;
    @Option(names = "--recipe", paramLabel = "YAML", description = "Recipe file (stages of modifiers).") Path recipe;
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text, one or more (default: STS-B train sentences for encoders, kjv-bible.txt for decoders).") List<Path> calib;
    @Option(names = "--samples", paramLabel = "N", description = "Calibration samples (default: 1024 sentences / 64 sequences).") Integer samples;
    @Option(names = "--seq-len", paramLabel = "L", defaultValue = "256", description = "Decoder calibration sequence length (default: 256).") int seqLen;
    @Option(names = "--seed", defaultValue = "42", description = "Calibration sampling seed.") long seed;
    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Output folder: Hugging Face layout with compressed-tensors weights; report beside it.") Path out;
    @Option(names = "--dense", description = "Write the effective weights as float32 instead of compressed-tensors (for tools that cannot read it).") boolean dense;
    @Option(names = "--eval-text", paramLabel = "TEXT", description = "Decoders: held-out text for the KL divergence (default: wikitext-2-raw-test.txt).") Path evalText;
    @Option(names = "--eval-chunks", defaultValue = "4", description = "Decoders: chunks of held-out text for KLD/perplexity (GGUF schemes: 0 for none, so that no engine holds the model: one larger than memory still compresses).") int evalChunks;
    @Option(names = "--ctx", defaultValue = "128", description = "Decoders: tokens per evaluation chunk.") int ctx;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all cores).") int threads;
    @Option(names = "--imatrix", description = "GGUF schemes: weight the quantization by an importance matrix from the calibration text (as llama-imatrix; every k-quant, Q4_x/Q5_x, IQ4_NL/IQ4_XS).") boolean imatrix;
    @Option(names = "--imatrix-file", paramLabel = "FILE", description = "GGUF schemes: weight the quantization by this importance matrix (llama-imatrix's file; checked against the model).") Path imatrixFile;
    @Option(names = "--gptq", description = "GGUF schemes: GPTQ's calibrated rounding into each tensor's block type (Hessian from --calib; blocks' scales by the type's own rules).") boolean gptq;
    @Option(names = "--no-act-order", description = "GPTQ: columns in their order instead of by decreasing Hessian diagonal.") boolean noActOrder;
    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE", description = "GGUF schemes: tensors matching REGEX get TYPE (llama-quantize's --tensor-type; first match wins; repeatable).") List<String> tensorTypes;
    @Option(names = "--fallback", paramLabel = "TYPE", description = "GGUF schemes: the type for matrices whose rows are not whole blocks (e.g. q8_0, f16); without it such a matrix is an error.") String fallback;
    @Option(names = "--pure", description = "GGUF schemes: every matrix in the scheme's type (llama-quantize --pure); default for the legacy types (q8_0, q4_0, ...); k- and i-quants get llama.cpp's tensor mix.") boolean pure;
    @Option(names = "--target-size", paramLabel = "BYTES", description = "Write a GGUF of at most BYTES, each matrix's type chosen from error curves measured on --calib (the scheme, default q4_k_m, gives the file type and the other tensors' types).") Long targetSize;
    @Option(names = "--target-bpw", paramLabel = "B", description = "As --target-size, for B bits per weight over all the model's weights.") Double targetBpw;
    @Option(names = "--search-generations", paramLabel = "N", defaultValue = "0", description = "With --target-size/--target-bpw: N generations of an evolutionary search (EvoPress) over the allocated types, each offspring scored by its KL divergence to the original on calibration tokens (default: 0, no search).") int searchGenerations;
    @Option(names = "--search-offspring", paramLabel = "L", defaultValue = "8", description = "Offspring per search generation (default: 8).") int searchOffspring;
    @Option(names = "--search-seed", paramLabel = "S", description = "The search's random seed (default: --seed).") Long searchSeed;
    @Option(names = "--reference-points", paramLabel = "CSV", description = "GGUF schemes: other quantizations of the model (name,bytes,kld lines) drawn beside the output in the report's size-vs-KLD chart (PNG).") List<Path> referencePoints;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        boolean mainJob = model == null;
        if (mainJob) {
            if (recipe != null || scheme != null || out != null) throw new BadInputException("-m", null, "give the model to compress (or no arguments at all for the default job)");
            model = "all-minilm-l6-v2";
            scheme = Compression.BEST;
            out = Path.of("all-minilm-l6-v2-" + Compression.BEST);
        }
        if (targetSize != null && targetBpw != null) throw new BadInputException("--target-size/--target-bpw", null, "give one of them, not both");
        if (scheme == null && recipe == null && (targetSize != null || targetBpw != null)) scheme = "q4_k_m";
        if ((scheme == null) == (recipe == null)) throw new BadInputException("--scheme/--recipe", null, "give exactly one of --scheme and --recipe");
        if (out == null) throw new BadInputException("-o", null, "missing output folder");
        CompressOptions o = CompressOptions.to(out).calibration(calib).samples(samples).seqLen(seqLen).seed(seed).evalText(evalText)
                .evaluation(evalChunks, ctx).threads(threads).dense(dense).imatrix(imatrix).fallback(fallback).pure(pure).beforeAfterTable(mainJob)
                .imatrixFile(imatrixFile).gptq(gptq).actOrder(!noActOrder).tensorTypes(tensorTypes)
                .targetBytes(targetSize).targetBpw(targetBpw).search(searchGenerations, searchOffspring, searchSeed);
        boolean gguf = scheme != null && isGgufType(scheme);
        if (referencePoints != null && !referencePoints.isEmpty() && !gguf) {
            throw new BadInputException("--reference-points", null, "only for GGUF schemes (q8_0, q4_k_m, ..., or --target-size/--target-bpw): their report has a size-vs-KLD chart");
        }
        List<SizeKldChart.Point> reference = new ArrayList<>();
        if (referencePoints != null) for (Path csv : referencePoints) reference.addAll(SizeKldChart.read(csv)); // bad input before any work
        CompressionResult r = scheme != null ? Slim4j.compress(model, scheme, o) : Slim4j.compress(model, recipe, o);
        spec.commandLine().getOut().print(r.summary());
        if (gguf && r.report().has("quality")) spec.commandLine().getOut().printf("wrote %s%n", chart(r, reference)); // no chart without a KLD (--eval-chunks 0)
        return 0;
    }

    private static boolean isGgufType(String scheme) {
        if (scheme.toLowerCase(Locale.ROOT).startsWith("w")) return false;
        try {
            LlamaFileType.byName(scheme);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The report's size-vs-KLD chart (OUT-size-kld.png): the written file beside the reference points; the Markdown
     * report shows it and says how each point was measured, the JSON report names it.
     */
    private Path chart(CompressionResult r, List<SizeKldChart.Point> reference) {
        ObjectNode report = r.report();
        Path out = r.output().toAbsolutePath();
        Path png = out.resolveSibling(out.getFileName() + "-size-kld.png");
        SizeKldChart.Point ours = new SizeKldChart.Point(out.getFileName().toString(), report.get("size_bytes").asLong(), report.path("quality").path("mean_kld").asDouble());
        String modelName = Path.of(model).getFileName().toString();
        SizeKldChart.write(png, modelName + ": file size vs mean KLD", List.of(ours), reference);
        report.put("chart", png.getFileName().toString());
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%n## File size vs KL divergence%n%n![file size vs mean KLD](%s)%n%n"
                + "- slim4j: %s, %d bytes, mean KLD %.6f (this run's evaluation: %s)%n", png.getFileName(), ours.name(), ours.bytes(), ours.kld(),
                report.path("quality").path("text").asText()));
        for (SizeKldChart.Point p : reference) md.append(String.format(Locale.ROOT, "- reference: %s, %d bytes, mean KLD %.6f%n", p.name(), p.bytes(), p.kld()));
        if (!reference.isEmpty()) md.append("\nReference points as given by --reference-points ").append(referencePoints).append(" (their KLD measured as that file says).\n");
        try {
            String text = Files.readString(r.reportMarkdown()) + md;
            byte[] json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(report);
            AtomicFiles.write(r.reportMarkdown(), tmp -> Files.writeString(tmp, text));
            AtomicFiles.write(r.reportJson(), tmp -> Files.write(tmp, json));
        } catch (IOException e) {
            throw new UncheckedIOException("adding the chart to " + r.reportMarkdown(), e);
        }
        return png;
    }
}
