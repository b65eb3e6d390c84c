package org.slim4j.compress.calib;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.output.CompressedTensorsModelWriter;
import org.slim4j.compress.quant.Awq;
import org.slim4j.compress.quant.InputScaledLinear;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.QuantizedLinear;
import org.slim4j.eval.LogitMath;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.Progress;

/**
 * AWQ on a pre-norm decoder: q/k/v and gate/up share one scale folded into their RMSNorm's weight (stored as plain
 * pack-quantized codes), o/down keep an explicit input scale; folding changes the storage, not the function.
 */
@Tag("slow")
class AwqFoldTest {

    @Test
    void foldedNormsComputeWhatTheExplicitScalesDo(@TempDir Path dir) throws Exception {
        Progress.setEnabled(false);
        int[] tokens = Arrays.copyOf(Fixtures.promptTokens(), 16);
        Map<String, CompressedLinear> layers = new LinkedHashMap<>();
        float[] folded, original;
        float[][] normsBefore = new float[2][];
        float[][][] foldedNorms;
        try (LlamaModel m = LlamaLoader.load(Fixtures.TINY_LLAMA)) {
            original = m.logits(tokens);
            normsBefore[0] = m.weights().layers()[0].attnNorm().clone();
            normsBefore[1] = m.weights().layers()[0].ffnNorm().clone();
            int[][] calib = CalibrationText.tokens(List.of(Fixtures.DATA.resolve("kjv-bible.txt")), m.tokenizer(), 4, 64, 1);
            LlamaBlocks blocks = new LlamaBlocks(m, calib);
            List<String> extras = blocks.extraTensors();
            Awq awq = new Awq(new QuantScheme(4, 64, false));
            CompressionPlan plan = name -> extras.contains(name) ? List.of() : List.of(awq);
            new LayerwiseCompressor(plan).onCompressed(layers::put).run(blocks);
            folded = m.logits(tokens);
            assertFalse(Arrays.equals(normsBefore[0], m.weights().layers()[0].attnNorm()), "1/s folded into input_layernorm");
            assertFalse(Arrays.equals(normsBefore[1], m.weights().layers()[0].ffnNorm()), "1/s folded into post_attention_layernorm");
            new CompressedTensorsModelWriter().write(dir.resolve("awq"), m, layers);
            foldedNorms = new float[m.weights().layers().length][][];
            for (int l = 0; l < foldedNorms.length; l++) foldedNorms[l] = new float[][] {m.weights().layers()[l].attnNorm().clone(), m.weights().layers()[l].ffnNorm().clone()};
        }
        for (var e : layers.entrySet()) {
            boolean normFed = e.getKey().matches(".*(q_proj|k_proj|v_proj|gate_proj|up_proj).*");
            Class<?> want = normFed ? QuantizedLinear.class : InputScaledLinear.class;
            assertEquals(want, e.getValue().getClass(), e.getKey());
        }
        // the same quantized weights with the scales kept explicit (W = Q(W diag s) / s) and the original norms
        try (LlamaModel u = LlamaLoader.load(Fixtures.TINY_LLAMA)) {
            LlamaBlocks ub = new LlamaBlocks(u, new int[][] {{1}});
            for (var e : layers.entrySet()) {
                if (e.getValue() instanceof InputScaledLinear isl) {
                    ub.setWeight(e.getKey(), isl.effectiveWeight());
                    continue;
                }
                QuantizedLinear q = (QuantizedLinear) e.getValue();
                // g_folded = g / s, so s = g / g_folded for the layer's norm
                int l = Integer.parseInt(e.getKey().replaceAll("^model\\.layers\\.(\\d+)\\..*", "$1"));
                boolean attn = e.getKey().contains("self_attn");
                float[] g = attn ? u.weights().layers()[l].attnNorm() : u.weights().layers()[l].ffnNorm(), gf = foldedNorms[l][attn ? 0 : 1];
                float[] s = new float[g.length];
                for (int j = 0; j < s.length; j++) s[j] = g[j] / gf[j];
                ub.setWeight(e.getKey(), new InputScaledLinear(q, s, "").effectiveWeight());
            }
            float[] explicit = u.logits(tokens);
            double d = LogitMath.maxAbsDiff(explicit, folded);
            double moved = LogitMath.maxAbsDiff(original, folded);
            System.out.printf("AWQ w4g64 tiny-llama: folded vs explicit scales max |d logits| %.2e (quantization moved them %.3f)%n", d, moved);
            assertTrue(d < 1e-3 * moved, "folding must not change the function: " + d + " vs " + moved);
        }
        try (LlamaModel loaded = LlamaLoader.loadHf(dir.resolve("awq"))) {
            double d = LogitMath.maxAbsDiff(folded, loaded.logits(tokens));
            assertTrue(d < 1e-3, "the written folder computes what was evaluated: " + d);
        }
    }
}
