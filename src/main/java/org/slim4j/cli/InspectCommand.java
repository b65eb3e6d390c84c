package org.slim4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slim4j.io.TensorFile;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.lossless.LosslessFile;
import org.slim4j.Slim4j;
import org.slim4j.io.ModelFiles;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Architecture, tensor table (dtype, shape, bytes), parameter count, file size and bits per weight; for losslessly coded files, stored and decoded sizes.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Model file or folder, or a built-in name.")
    String positional;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Same as the positional MODEL.")
    String option;

    @Option(names = "--no-tensors", description = "Summary only, without the tensor table.")
    boolean noTensors;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String m = positional != null ? positional : option;
        if (m == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a MODEL");
        Path path = Slim4j.file(m);
        PrintWriter out = spec.commandLine().getOut();
        try (TensorFile tf = ModelFiles.open(path)) {
            out.printf(Locale.ROOT, "model         %s%n", path);
            out.printf(Locale.ROOT, "format        %s%n", ModelFiles.detect(path));
            out.printf(Locale.ROOT, "architecture  %s%n", architecture(path, tf));
            long params = 0, bytes = 0, weightParams = 0, weightBytes = 0;
            Map<DType, long[]> byType = new EnumMap<>(DType.class);
            for (Tensor t : tf.tensors()) {
                long b = t.dtype().bytesFor(t.elements());
                params += t.elements();
                bytes += b;
                if (t.shape().length >= 2) {
                    weightParams += t.elements();
                    weightBytes += b;
                }
                long[] acc = byType.computeIfAbsent(t.dtype(), k -> new long[3]);
                acc[0]++;
                acc[1] += t.elements();
                acc[2] += b;
            }
            out.printf(Locale.ROOT, "file size     %s%n", human(fileSize(path)));
            out.printf(Locale.ROOT, "tensors       %d, %,d parameters, %s of tensor data%n", tf.tensors().size(), params, human(bytes));
            out.printf(Locale.ROOT, "bits/weight   %.3f over all tensors, %.3f over matrices (%,d parameters)%n",
                    8.0 * bytes / Math.max(1, params), 8.0 * weightBytes / Math.max(1, weightParams), weightParams);
            out.println("by type:");
            byType.forEach((t, a) -> out.printf(Locale.ROOT, "  %-6s %5d tensors %,15d params %12s%n", t, a[0], a[1], human(a[2])));
            Map<String, Long> stored = new java.util.HashMap<>();
            if (tf instanceof LosslessFile lf) {
                long coded = 0, decoded = 0;
                for (LosslessFile.Coded c : lf.coded()) {
                    stored.put(c.name(), c.codedBytes());
                    coded += c.codedBytes();
                    decoded += c.decodedBytes();
                }
                out.printf(Locale.ROOT, "lossless      %d tensors coded: %s stored, %s decoded (%.2f%%); all tensors: %s stored of %s%n", lf.coded().size(),
                        human(coded), human(decoded), 100.0 * coded / Math.max(1, decoded), human(bytes - decoded + coded), human(bytes));
            }
            if (Files.isDirectory(path)) {
                var qc = org.slim4j.io.compressed.CompressedTensorsFile.quantizationConfig(path);
                if (qc.isPresent()) layers(out, org.slim4j.io.compressed.LayerStorage.of(path, qc.get()), bytes);
            }
            if (!noTensors) {
                boolean coded = !stored.isEmpty();
                out.printf(Locale.ROOT, "%-48s %-6s %-22s %12s%s%n", "tensor", "type", "shape", "bytes", coded ? String.format(Locale.ROOT, " %12s", "stored") : "");
                for (Tensor t : tf.tensors()) {
                    long b = t.dtype().bytesFor(t.elements());
                    out.printf(Locale.ROOT, "%-48s %-6s %-22s %,12d%s%n", t.name(), t.dtype(), t.shapeString(), b,
                            coded ? String.format(Locale.ROOT, " %,12d", stored.getOrDefault(t.name(), b)) : "");
                }
            }
        }
        return 0;
    }

    /** Per compressed layer: stored format, the kernel it runs with, real bytes and bits per weight; then totals. */
    private static void layers(PrintWriter out, org.slim4j.io.compressed.LayerStorage.Summary s, long allBytes) {
        var rows = s.rows();
        out.printf(Locale.ROOT, "%-44s %-18s %-8s %12s %12s %7s%n", "compressed layer", "format", "kernel", "parameters", "bytes", "bits/w");
        long p = 0, b = 0;
        for (var r : rows) {
            out.printf(Locale.ROOT, "%-44s %-18s %-8s %,12d %,12d %7.3f%n", r.module(), r.format(), r.kernel(), r.parameters(), r.bytes(), r.bitsPerWeight());
            p += r.parameters();
            b += r.bytes();
        }
        out.printf(Locale.ROOT, "compressed    %d layers, %,d parameters in %s: %.3f bits/weight%n", rows.size(), p, human(b), 8.0 * b / Math.max(1, p));
        // parameters of the dense model the folder encodes, over every stored byte
        out.printf(Locale.ROOT, "whole model   %,d parameters in %s: %.3f bits/weight%n", s.denseParameters(), human(allBytes), 8.0 * allBytes / Math.max(1, s.denseParameters()));
    }

    private static String architecture(Path path, TensorFile tf) throws IOException {
        if (tf instanceof GgufFile g) return g.optString("general.architecture").orElse("?");
        Path cfg = Files.isDirectory(path) ? path.resolve("config.json") : path.resolveSibling("config.json");
        if (Files.isRegularFile(cfg)) {
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cfg.toFile());
            return node.path("model_type").asText("?") + " " + node.path("architectures");
        }
        return ModelFiles.detect(path) == ModelFiles.Format.ONNX ? "onnx graph" : "?";
    }

    private static long fileSize(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.size(p);
        try (Stream<Path> s = Files.list(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static String human(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }
}
