package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.eval.LogitMath;
import org.slim4j.convert.HfToGguf;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/**
 * HF folder -> F32 GGUF (HfToGguf) -> GgufQuantizer, against llama-quantize's fixtures (--pure, and Q4_K_M's mix): every tensor's bytes,
 * type and shape, the file-type keys, and the logits of the result.
 */
class GgufQuantizerTest {
    @TempDir
    static Path tmp;
    static Path f32;

    @BeforeAll
    static void convert() {
        f32 = tmp.resolve("tiny-f32.gguf");
        HfToGguf.convert(Fixtures.TINY_LLAMA, f32, DType.F32);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"})
    void exportMatchesLlamaQuantizeAndItsLogits(String type) {
        Path out = tmp.resolve("tiny-" + type + ".gguf");
        LlamaFileType ft = LlamaFileType.byName(type);
        // the fixtures are --pure except Q4_K_M, which is llama-quantize's default mix
        GgufQuantizer.Result r = GgufQuantizer.quantize(f32, out, ft, null, !type.equals("Q4_K_M"));
        assertEquals(List.of(), r.fallbacks());
        List<String> differing = new ArrayList<>();
        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(Fixtures.gguf(type))) {
            assertEquals(ref.tensors().size(), ours.tensors().size());
            for (Tensor want : ref.tensors()) {
                Tensor got = ours.find(want.name()).orElseThrow(() -> new AssertionError("missing " + want.name()));
                assertEquals(want.dtype(), got.dtype(), want.name());
                assertEquals(want.dtype(), r.types().get(want.name()), want.name());
                assertArrayEquals(want.shape(), got.shape(), want.name());
                if (got.data().mismatch(want.data()) >= 0) differing.add(want.name());
            }
            assertEquals(List.of(), differing, "tensors whose bytes differ from llama-quantize's");
            for (String k : List.of("general.quantization_version", "general.file_type")) {
                assertEquals(ref.integer(k), ours.integer(k), k);
                assertEquals(GgufValueType.UINT32, ours.typeOf(k), k);
            }
            List<String> keys = new ArrayList<>(ours.metadata().keySet());
            assertEquals(List.of("general.quantization_version", "general.file_type"), keys.subList(keys.size() - 2, keys.size()));
        }
        int[] tokens = Fixtures.promptTokens();
        try (LlamaModel m = LlamaLoader.load(out)) {
            double d = LogitMath.maxAbsDiff(Fixtures.f32("logits-exact-" + type + ".f32"), m.logits(tokens));
            assertTrue(d <= 2e-3, type + ": max |delta| vs exact " + d);
        }
    }

    /** A file with a 48-wide matrix (not whole Q4_0 blocks), a 64-wide one (not whole Q6_K blocks) and a norm. */
    private static Path oddShapes() {
        Path p = tmp.resolve("odd.gguf");
        float[] a = new float[4 * 48], b = new float[2 * 64 * 4], n = new float[48];
        for (int i = 0; i < a.length; i++) a[i] = (float) Math.sin(i);
        for (int i = 0; i < b.length; i++) b[i] = (float) Math.cos(i);
        java.util.Arrays.fill(n, 1f);
        new GgufWriter().putString("general.architecture", "llama").putUint32("general.file_type", 0)
                .putString("general.name", "odd")
                .addTensor("odd.weight", new long[] {4, 48}, a, DType.F32)
                .addTensor("even.weight", new long[] {8, 64}, b, DType.F16)
                .addTensor("norm.weight", new long[] {48}, n, DType.F32)
                .write(p);
        return p;
    }

    @Test
    void rowsThatAreNotWholeBlocksNeedAnExplicitFallback() {
        Path src = oddShapes(), out = tmp.resolve("odd-q4.gguf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GgufQuantizer.quantize(src, out, LlamaFileType.MOSTLY_Q4_0, null));
        assertTrue(e.getMessage().contains("odd.weight"), e.getMessage());
        assertFalse(out.toFile().exists());
        assertThrows(IllegalArgumentException.class, () -> GgufQuantizer.quantize(src, out, LlamaFileType.MOSTLY_Q4_0, DType.Q8_0));

        GgufQuantizer.Result r = GgufQuantizer.quantize(src, out, LlamaFileType.MOSTLY_Q4_0, DType.F16);
        assertEquals(List.of("odd.weight"), r.fallbacks());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(DType.F16, g.tensor("odd.weight").dtype());
            assertEquals(DType.Q4_0, g.tensor("even.weight").dtype());
            assertEquals(DType.F32, g.tensor("norm.weight").dtype());
            assertEquals(2, g.integer("general.file_type"));
            assertEquals(List.of("general.architecture", "general.name", "general.quantization_version", "general.file_type"),
                    new ArrayList<>(g.metadata().keySet()));
        }

        Path k = tmp.resolve("odd-q6k.gguf");
        GgufQuantizer.Result rk = GgufQuantizer.quantize(src, k, LlamaFileType.MOSTLY_Q6_K, DType.F32);
        assertEquals(List.of("even.weight", "odd.weight"), rk.fallbacks(), "in llama.cpp's order: by name outside the blocks");
        try (GgufFile g = GgufFile.open(k)) {
            assertEquals(DType.F32, g.tensor("even.weight").dtype());
            // F16 -> F32 is exact, so the fallback copy holds the source values
            assertEquals(Float.float16ToFloat(Float.floatToFloat16((float) Math.cos(5))),
                    org.slim4j.tensor.Dequant.toFloats(g.tensor("even.weight"))[5]);
        }
    }

    /** llama.cpp's Q3_K_M and Q2_K mixes (the imatrix fixture checks them byte for byte); rules override the mix. */
    @Test
    void mixesAndTensorTypeRules() {
        try (GgufFile in = GgufFile.open(f32)) {
            var types = GgufQuantizer.types(in, GgufQuantizer.Options.of(LlamaFileType.MOSTLY_Q3_K_M).pure(false));
            assertEquals(DType.Q6_K, types.get("token_embd.weight"), "tied: the output's type");
            assertEquals(DType.Q5_K, types.get("blk.1.attn_v.weight"));
            assertEquals(DType.Q4_K, types.get("blk.2.attn_v.weight"));
            assertEquals(DType.Q4_K, types.get("blk.0.ffn_down.weight"));
            assertEquals(DType.Q3_K, types.get("blk.0.ffn_up.weight"));
            types = GgufQuantizer.types(in, GgufQuantizer.Options.of(LlamaFileType.MOSTLY_Q2_K).pure(false)
                    .rules(List.of(TensorTypeRule.parse("blk\\.[01]\\.ffn_down=q8_0"), TensorTypeRule.parse("ffn_down=q5_k"))));
            assertEquals(DType.Q8_0, types.get("blk.1.ffn_down.weight"), "the first rule that matches");
            assertEquals(DType.Q5_K, types.get("blk.3.ffn_down.weight"));
            assertEquals(DType.Q3_K, types.get("blk.0.attn_output.weight"));
            assertEquals(DType.Q2_K, types.get("blk.0.attn_q.weight"));
            // a rule takes its tensor out of llama.cpp's layer count, as llama-quantize does (checked with --dry-run)
            types = GgufQuantizer.types(in, GgufQuantizer.Options.of(LlamaFileType.MOSTLY_Q4_K_M).pure(false)
                    .rules(List.of(TensorTypeRule.parse("blk\\.0\\.attn_v=q8_0"))));
            assertEquals(DType.Q4_K, types.get("blk.2.attn_v.weight"));
            assertEquals(DType.Q6_K, types.get("blk.3.attn_v.weight"));
        }
    }

    @Test
    void fileTypeNamesAreLlamaCppNumbers() {
        assertEquals(7, LlamaFileType.byName("Q8_0").id);
        assertEquals(15, LlamaFileType.byName("q4_k_m").id);
        assertEquals(DType.Q4_K, LlamaFileType.byName("Q4_K_M").matrixType);
        assertEquals(LlamaFileType.MOSTLY_Q3_K_S, LlamaFileType.pure(DType.Q3_K));
        assertEquals(0, LlamaFileType.byName("F32").id);
        assertThrows(IllegalArgumentException.class, () -> LlamaFileType.byName("Q7_K"));
    }
}
