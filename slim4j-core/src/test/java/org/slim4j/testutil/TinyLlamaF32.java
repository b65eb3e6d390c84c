package org.slim4j.testutil;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaWeights.Names;
import org.slim4j.model.llama.QkPermutation;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * The tiny-llama-rand matrices as llama.cpp's F32 GGUF holds them (the input the fixture GGUFs were quantized from):
 * BF16 widened to F32 (exact), Q/K rows permuted as convert_hf_to_gguf.py does, keyed by GGUF tensor name.
 */
public final class TinyLlamaF32 {
    private TinyLlamaF32() {}

    public static Map<String, float[]> matrices() {
        LlamaConfig c = LlamaConfig.fromHfConfig(Fixtures.TINY_LLAMA.resolve("config.json"));
        Names hf = Names.HF, gg = Names.GGUF;
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafetensorsFile st = SafetensorsFile.open(Fixtures.TINY_LLAMA)) {
            out.put(gg.embedding(), Dequant.toFloats(st.tensor(hf.embedding())));
            for (int l = 0; l < c.layers(); l++) {
                Tensor q = QkPermutation.permute(st.tensor(hf.wq().formatted(l)), c.heads());
                Tensor k = QkPermutation.permute(st.tensor(hf.wk().formatted(l)), c.kvHeads());
                out.put(gg.wq().formatted(l), Dequant.toFloats(q));
                out.put(gg.wk().formatted(l), Dequant.toFloats(k));
                for (String[] p : new String[][] {{hf.wv(), gg.wv()}, {hf.wo(), gg.wo()}, {hf.wGate(), gg.wGate()},
                        {hf.wUp(), gg.wUp()}, {hf.wDown(), gg.wDown()}}) {
                    out.put(p[1].formatted(l), Dequant.toFloats(st.tensor(p[0].formatted(l))));
                }
            }
        }
        return out;
    }
}
