package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.Tensor;

/** What each compressed layer of a compressed-tensors folder really occupies in the file, for `slim4j inspect`. */
public final class LayerStorage {
    private LayerStorage() {}

    /** One layer: its stored format, dense parameter count (rows x cols) and the bytes of its stored tensors (bias excluded). */
    public record Row(String module, String format, long parameters, long bytes, String kernel) {
        public double bitsPerWeight() {
            return 8.0 * bytes / Math.max(1, parameters);
        }
    }

    /** The layers, and the parameter count of the whole dense model the folder encodes. */
    public record Summary(List<Row> rows, long denseParameters) {}

    public static Summary of(Path dir, JsonNode qc) {
        List<Row> rows = new ArrayList<>();
        long dense = 0;
        try (CompressedTensorsFile ct = CompressedTensorsFile.open(dir, qc); SafetensorsFile raw = SafetensorsFile.open(dir)) {
            for (Tensor t : ct.tensors()) dense += t.elements();
            Map<String, String> formats = new java.util.LinkedHashMap<>(ct.formats());
            qc.path("slim4j").path("layers").properties().forEach(e -> formats.putIfAbsent(e.getKey(), e.getValue().path("format").asText()));
            for (var e : formats.entrySet()) {
                String m = e.getKey();
                Tensor w = ct.tensor(m + ".weight");
                long bytes = 0;
                for (Tensor t : raw.tensors()) {
                    String n = t.name();
                    if (n.startsWith(m + ".") && n.indexOf('.', m.length() + 1) < 0 && !n.equals(m + ".bias")) bytes += t.dtype().bytesFor(t.elements());
                }
                var k = ct.kernels().get(w);
                rows.add(new Row(m, e.getValue(), w.elements(), bytes, k == null ? "dense" : k.kind()));
            }
        }
        return new Summary(rows, dense);
    }
}
