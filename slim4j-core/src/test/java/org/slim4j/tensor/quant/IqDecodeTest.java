package org.slim4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.BoundMatrix;
import org.slim4j.tensor.kernel.EngineOptions;

/**
 * The i-quants people download, against llama.cpp: iq-mix.gguf was written by llama-quantize (one matrix in each of
 * IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S; scripts/make-iq-fixture.py) and the JSON holds the
 * sha256 of ggml's own dequantization of every tensor. Decoding must reproduce those values bit for bit, through the
 * reference decoder and through the kernels a loaded model computes with.
 */
class IqDecodeTest {
    static final Path DIR = Path.of("src/test/resources/org/slim4j/quant");

    @Test
    void everyIQuantDecodesToGgmlsValues() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("iq-mix-dequant-sha256.json").toFile());
        Set<DType> seen = EnumSet.noneOf(DType.class);
        try (GgufFile f = GgufFile.open(DIR.resolve("iq-mix.gguf"))) {
            for (Tensor t : f.tensors()) {
                assertEquals(ref.get("sha256").get(t.name()).asText(), sha256(Dequant.toFloats(t)), t.toString());
                if (!t.dtype().isQuantized()) continue;
                assertEquals(ref.get("types").get(t.name()).asText().toUpperCase(Locale.ROOT), t.dtype().name(), t.name());
                seen.add(t.dtype());
            }
        }
        assertEquals(EnumSet.of(DType.IQ4_NL, DType.IQ4_XS, DType.IQ3_XXS, DType.IQ3_S, DType.IQ2_XXS, DType.IQ2_XS, DType.IQ2_S, DType.IQ1_S), seen);
    }

    /** The engine's path: each matrix bound to its type's kernels; a matrix-vector product equals the exact decode's. */
    @Test
    void boundMatricesComputeWithTheExactValues() {
        try (GgufFile f = GgufFile.open(DIR.resolve("iq-mix.gguf"))) {
            for (Tensor t : f.tensors()) {
                if (!t.dtype().isQuantized()) continue;
                int rows = (int) t.rows(), cols = (int) t.cols();
                float[] w = Dequant.toFloats(t), x = new float[cols], y = new float[rows];
                for (int j = 0; j < cols; j++) x[j] = (float) Math.sin(j * 0.37);
                BoundMatrix m = BoundMatrix.of(t, EngineOptions.defaults());
                float[] row = new float[cols];
                m.decodeRow(rows - 1, row, 0);
                assertArrayEquals(java.util.Arrays.copyOfRange(w, (rows - 1) * cols, rows * cols), row, 0f, t.name());
                m.rows(0, rows, null, x, y, false, new float[cols]);
                for (int r = 0; r < rows; r++) {
                    double e = 0, s = 0;
                    for (int j = 0; j < cols; j++) {
                        e += (double) w[r * cols + j] * x[j];
                        s += Math.abs((double) w[r * cols + j] * x[j]);
                    }
                    assertEquals(e, y[r], 1e-5 * s + 1e-7, t.name() + " row " + r);
                }
            }
        }
    }

    static String sha256(float[] v) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bb.array()));
    }
}
