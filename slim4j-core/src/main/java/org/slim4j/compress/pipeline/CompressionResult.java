package org.slim4j.compress.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * What a compression (or a structured shrink) wrote and measured: the output, its reports (Markdown and JSON beside
 * it), the report's contents, and the lines a person reads first (size, bits per weight, quality).
 */
public record CompressionResult(Path output, Path reportMarkdown, Path reportJson, ObjectNode report, String summary) {

    public double bitsPerWeight() {
        return report.path("bits_per_weight").asDouble(Double.NaN);
    }
}
