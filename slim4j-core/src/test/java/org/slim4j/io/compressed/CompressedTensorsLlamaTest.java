package org.slim4j.io.compressed;

import org.slim4j.compress.output.CompressedTensorsWriter;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.eval.LogitMath;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.testutil.Fixtures;
import org.slim4j.testutil.HfFolders;

/** The tiny random Llama's projections as int4 g64 asymmetric pack-quantized, run through LlamaLoader.loadHf. */
class CompressedTensorsLlamaTest {

    @Test
    void logitsEqualThoseOfTheFakeQuantizedCheckpoint(@TempDir Path dir) throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(Fixtures.TINY_LLAMA, n -> n.startsWith("model.layers."),
                w -> Rtn.quantize(w, new QuantScheme(4, 64, false), false, "rtn"));
        assertEquals(4 * 7, layers.size());
        Path ct = dir.resolve("ct");
        var r = new CompressedTensorsWriter(DType.F32).write(Fixtures.TINY_LLAMA, layers, ct);
        Path fake = HfFolders.fakeQuant(Fixtures.TINY_LLAMA, layers, dir.resolve("fake"));
        int[] tokens = Arrays.copyOf(Fixtures.promptTokens(), 12);
        try (LlamaModel a = LlamaLoader.loadHf(ct); LlamaModel b = LlamaLoader.loadHf(fake)) {
            float[] x = a.logits(tokens), y = b.logits(tokens);
            double d = LogitMath.maxAbsDiff(y, x);
            System.out.println("llama int4 g64 asym: " + r.tensorBytes() + " tensor bytes; max |delta| logits vs fake-quant " + d);
            assertTrue(d < 1e-3, "max |delta| " + d);
        }
    }

    @Test
    void awqInputScaledLayersStorePackedCodesAndTheScale(@TempDir Path dir) throws Exception {
        java.util.Random rnd = new java.util.Random(3);
        Map<String, CompressedLinear> layers = HfFolders.compressAll(Fixtures.TINY_LLAMA, n -> n.startsWith("model.layers.0."), w -> {
            float[] s = new float[w.cols()];
            for (int j = 0; j < s.length; j++) s[j] = (float) Math.exp(rnd.nextGaussian() * 0.5);
            float[] v = w.w().clone();
            for (int i = 0; i < v.length; i++) v[i] *= s[i % w.cols()];
            return new org.slim4j.compress.quant.InputScaledLinear(Rtn.quantize(w.withValues(v), new QuantScheme(4, 64, false), false, "awq"), s, "test scale");
        });
        Path ct = dir.resolve("ct");
        new CompressedTensorsWriter(DType.F32).write(Fixtures.TINY_LLAMA, layers, ct);
        try (var packed = org.slim4j.io.safetensors.SafetensorsFile.open(ct); var f = CompressedTensorsFile.openFolder(ct)) {
            for (var e : layers.entrySet()) {
                String module = e.getKey().substring(0, e.getKey().length() - ".weight".length());
                assertTrue(packed.find(module + ".weight_packed").isPresent() && packed.find(module + ".weight_input_scale").isPresent(), module);
                assertTrue(packed.find(e.getKey()).isEmpty(), "stored packed, not multiplied out: " + module);
                float[] want = e.getValue().effectiveWeight();
                float[] got = org.slim4j.tensor.Dequant.toFloats(f.tensors().stream().filter(t -> t.name().equals(e.getKey())).findFirst().orElseThrow());
                assertArrayEquals(want, got, e.getKey());
            }
        }
        try (LlamaModel a = LlamaLoader.loadHf(ct)) {
            assertTrue(Float.isFinite(a.logits(Arrays.copyOf(Fixtures.promptTokens(), 4))[0]));
        }
    }
}
