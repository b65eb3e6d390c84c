package org.slim4j.compress.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slim4j.compress.output.CompressedTensorsWriter;
import org.slim4j.compress.output.EffectiveWeightsWriter;
import org.slim4j.io.ModelFiles;
import org.slim4j.io.TensorFile;
import org.slim4j.io.compressed.CompressedTensorsFile;
import org.slim4j.io.lossless.LosslessFile;
import org.slim4j.io.lossless.LosslessWriter;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.model.Models;
import org.slim4j.model.bert.BertModel;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Threads;

/**
 * {@code --scheme lossless}: the model's float weights entropy-coded ({@code io.lossless}: Huffman-coded exponents,
 * raw sign and mantissa), the same bits after loading. A Hugging Face folder is coded as it is, every other file
 * copied; a built-in or ONNX encoder is first written as the float32 Hugging Face folder slim4j loads
 * ({@link EffectiveWeightsWriter}), then coded. The written folder is then loaded back, which times the decode, and
 * every tensor is compared byte for byte with the source; the report lists each tensor's plain and stored bytes.
 */
final class Lossless {
    static final String SCHEME = "lossless";

    private Lossless() {}

    static CompressionResult run(String model, CompressOptions o) {
        if (o.imatrix() || o.fallback() != null || o.pure() || o.dense()) {
            throw new BadInputException("--imatrix/--fallback/--pure/--dense", null, "do not apply to --scheme lossless");
        }
        Compression.checkOutput(model, o.output());
        return Threads.call(o.threads(), () -> {
            Path out = o.output();
            if (Files.isRegularFile(out)) throw new BadInputException(out, "-o", "is a file; --scheme lossless writes a Hugging Face folder");
            Path staging = null;
            try {
                Path src;
                if (Models.isBuiltIn(model) || ModelFiles.detect(Path.of(model)) == ModelFiles.Format.ONNX) {
                    Files.createDirectories(out.toAbsolutePath().getParent());
                    staging = Files.createTempDirectory(out.toAbsolutePath().getParent(), "." + out.getFileName() + ".dense");
                    try (BertModel b = Models.encoder(model)) {
                        new EffectiveWeightsWriter().write(staging, b, Map.of(), model);
                    }
                    src = staging;
                } else if (ModelFiles.detect(Path.of(model)) == ModelFiles.Format.HF_FOLDER) {
                    src = Path.of(model);
                    if (CompressedTensorsFile.quantizationConfig(src).isPresent()) {
                        throw new BadInputException(src.resolve("config.json"), "quantization_config", "a compressed-tensors folder is not coded losslessly; code its float original");
                    }
                } else {
                    throw new BadInputException(model, "--scheme lossless", "codes a Hugging Face folder or a built-in/ONNX encoder; convert a GGUF to a folder first (slim4j convert)");
                }
                return code(model, src, out);
            } finally {
                if (staging != null) AtomicFiles.deleteTree(staging);
            }
        });
    }

    private static CompressionResult code(String model, Path src, Path out) throws IOException {
        long t0 = System.nanoTime();
        List<LosslessWriter.Row> rows;
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            if (LosslessFile.isCoded(f)) throw new BadInputException(f.path(), "__metadata__", "is already coded losslessly");
            Files.createDirectories(out);
            rows = LosslessWriter.write(f.tensors(), f.metadata(), out.resolve("model.safetensors"));
        }
        CompressedTensorsWriter.copyOthers(src, out);
        byte[] config = Files.readAllBytes(src.resolve("config.json"));
        AtomicFiles.write(out.resolve("config.json"), tmp -> Files.write(tmp, config));
        double encodeS = (System.nanoTime() - t0) / 1e9;

        long t1 = System.nanoTime();
        double decodeS;
        try (TensorFile coded = ModelFiles.open(out); SafetensorsFile orig = SafetensorsFile.open(src)) {
            decodeS = (System.nanoTime() - t1) / 1e9;
            if (coded.tensors().size() != orig.tensors().size()) {
                throw new IllegalStateException(out + " holds " + coded.tensors().size() + " tensors, the source " + orig.tensors().size());
            }
            for (Tensor t : orig.tensors()) {
                Tensor c = coded.tensor(t.name());
                if (c.dtype() != t.dtype() || !java.util.Arrays.equals(c.shape(), t.shape()) || c.data().mismatch(t.data()) != -1) {
                    throw new IllegalStateException(out + ": tensor '" + t.name() + "' does not decode to the source's bytes");
                }
            }
        }

        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", model).put("recipe", "--scheme " + SCHEME);
        long params = 0, plain = 0, stored = 0;
        Map<DType, long[]> byType = new EnumMap<>(DType.class); // plain, stored bytes of the coded tensors
        StringBuilder table = new StringBuilder("\n| tensor | type | values | bytes | stored | ratio |\n|---|---|---|---|---|---|\n");
        ArrayNode arr = report.putArray("tensors");
        for (LosslessWriter.Row r : rows) {
            params += r.elements();
            plain += r.plainBytes();
            stored += r.storedBytes();
            if (r.coded()) {
                long[] acc = byType.computeIfAbsent(r.dtype(), k -> new long[2]);
                acc[0] += r.plainBytes();
                acc[1] += r.storedBytes();
            }
            arr.addObject().put("name", r.name()).put("dtype", r.dtype().name()).put("elements", r.elements())
                    .put("plain_bytes", r.plainBytes()).put("stored_bytes", r.storedBytes()).put("coded", r.coded());
            table.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %.4f |%n", r.name(), r.dtype(), r.elements(), r.plainBytes(),
                    r.storedBytes(), (double) r.storedBytes() / r.plainBytes()));
        }
        ObjectNode types = report.putObject("coded_by_type");
        byType.forEach((t, a) -> types.putObject(t.name()).put("plain_bytes", a[0]).put("stored_bytes", a[1]).put("ratio", (double) a[1] / a[0]));
        long fileBytes = ModelFiles.bytesOnDisk(out);
        report.put("parameters", params).put("original_size_bytes", plain).put("size_bytes", stored).put("ratio", (double) stored / plain)
                .put("bits_per_weight", 8.0 * stored / params).put("original_bits_per_weight", 8.0 * plain / params)
                .put("file_bytes", fileBytes).put("bit_identical", true).put("encode_seconds", encodeS).put("decode_seconds", decodeS);
        Path[] reports = Compression.Reports.write(out, report, table.toString(), "# Lossless coding report", "tensors");
        String summary = String.format(Locale.ROOT,
                "coded %s losslessly in %.1fs: %.2f MB of tensors stored in %.2f MB (%.2f%%, %.3f bits per weight), %.2f MB written; "
                        + "loaded back bit-identical in %.2fs%nwrote %s, %s, %s%n",
                model, encodeS, plain / 1e6, stored / 1e6, 100.0 * stored / plain, 8.0 * stored / params, fileBytes / 1e6, decodeS, out, reports[0], reports[1]);
        return new CompressionResult(out, reports[0], reports[1], report, summary);
    }
}
