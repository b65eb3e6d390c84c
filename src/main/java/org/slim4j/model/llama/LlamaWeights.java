package org.slim4j.model.llama;

import java.util.Arrays;
import org.slim4j.io.TensorFile;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * The tensors of a Llama-family model. Matrices stay as they are in the file (mapped, any dtype, [out, in]);
 * norm weights and biases are small and decoded to float32 once.
 * {@code ropeFactors} (GGUF's rope_freqs.weight, how llama.cpp stores Llama 3 rope scaling) divides each RoPE
 * frequency; null when absent.
 */
public record LlamaWeights(Tensor embedding, Layer[] layers, float[] outputNorm, Tensor output, float[] ropeFactors) {

    public record Layer(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                        float[] bq, float[] bk, float[] bv,
                        float[] ffnNorm, Tensor wGate, Tensor wUp, Tensor wDown) {}

    public static final String ROPE_FREQS = "rope_freqs.weight";

    /** Tensor names of one checkpoint format; {@code %d} stands for the layer index. */
    public record Names(String embedding, String attnNorm, String wq, String wk, String wv, String wo,
                        String bq, String bk, String bv, String ffnNorm, String wGate, String wUp, String wDown,
                        String outputNorm, String output) {

        public static final Names HF = new Names("model.embed_tokens.weight",
                "model.layers.%d.input_layernorm.weight",
                "model.layers.%d.self_attn.q_proj.weight", "model.layers.%d.self_attn.k_proj.weight",
                "model.layers.%d.self_attn.v_proj.weight", "model.layers.%d.self_attn.o_proj.weight",
                "model.layers.%d.self_attn.q_proj.bias", "model.layers.%d.self_attn.k_proj.bias",
                "model.layers.%d.self_attn.v_proj.bias",
                "model.layers.%d.post_attention_layernorm.weight",
                "model.layers.%d.mlp.gate_proj.weight", "model.layers.%d.mlp.up_proj.weight",
                "model.layers.%d.mlp.down_proj.weight", "model.norm.weight", "lm_head.weight");

        public static final Names GGUF = new Names("token_embd.weight", "blk.%d.attn_norm.weight",
                "blk.%d.attn_q.weight", "blk.%d.attn_k.weight", "blk.%d.attn_v.weight", "blk.%d.attn_output.weight",
                "blk.%d.attn_q.bias", "blk.%d.attn_k.bias", "blk.%d.attn_v.bias",
                "blk.%d.ffn_norm.weight", "blk.%d.ffn_gate.weight", "blk.%d.ffn_up.weight", "blk.%d.ffn_down.weight",
                "output_norm.weight", "output.weight");
    }

    /** Looks up and shape-checks every tensor; the output matrix falls back to the embedding when tied or absent. */
    public static LlamaWeights load(TensorFile f, LlamaConfig c, Names n) {
        int h = c.hidden();
        Tensor emb = matrix(f, n.embedding, c.vocab(), h);
        // the layer count comes from the config; the file must hold that many layers before their array is made
        String last = n.attnNorm.formatted(c.layers() - 1);
        if (c.layers() > f.tensors().size() || f.find(last).isEmpty()) {
            throw new BadInputException(f.path(), "tensor '" + last + "'", "not found: the config's layer count "
                    + c.layers() + " (num_hidden_layers / block_count) is more than the file holds");
        }
        Layer[] layers = new Layer[c.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(
                    vector(f, n.attnNorm.formatted(l), h),
                    matrix(f, n.wq.formatted(l), c.qDim(), h),
                    matrix(f, n.wk.formatted(l), c.kvDim(), h),
                    matrix(f, n.wv.formatted(l), c.kvDim(), h),
                    matrix(f, n.wo.formatted(l), h, c.qDim()),
                    c.qkvBias() ? vector(f, n.bq.formatted(l), c.qDim()) : null,
                    c.qkvBias() ? vector(f, n.bk.formatted(l), c.kvDim()) : null,
                    c.qkvBias() ? vector(f, n.bv.formatted(l), c.kvDim()) : null,
                    vector(f, n.ffnNorm.formatted(l), h),
                    matrix(f, n.wGate.formatted(l), c.ffn(), h),
                    matrix(f, n.wUp.formatted(l), c.ffn(), h),
                    matrix(f, n.wDown.formatted(l), h, c.ffn()));
        }
        Tensor out = c.tiedEmbeddings() ? emb : matrix(f, n.output, c.vocab(), h);
        float[] ropeFactors = f.find(ROPE_FREQS).isPresent() ? vector(f, ROPE_FREQS, c.headDim() / 2) : null;
        return new LlamaWeights(emb, layers, vector(f, n.outputNorm, h), out, ropeFactors);
    }

    private static Tensor matrix(TensorFile f, String name, long rows, long cols) {
        Tensor t = f.tensor(name);
        if (t.shape().length != 2 || t.shape()[0] != rows || t.shape()[1] != cols) {
            throw new BadInputException(f.path(), "tensor '" + name + "'",
                    "shape " + t.shapeString() + " but the config needs " + Arrays.toString(new long[] {rows, cols}));
        }
        if (!t.dtype().isFloatLike()) throw new BadInputException(f.path(), "tensor '" + name + "'", "dtype " + t.dtype() + " is not a float type");
        return t;
    }

    private static float[] vector(TensorFile f, String name, int n) {
        Tensor t = f.tensor(name);
        if (t.elements() != n || t.shape().length != 1) {
            throw new BadInputException(f.path(), "tensor '" + name + "'", "shape " + t.shapeString() + " but the config needs [" + n + "]");
        }
        if (!t.dtype().isFloatLike()) throw new BadInputException(f.path(), "tensor '" + name + "'", "dtype " + t.dtype() + " is not a float type");
        return Dequant.toFloats(t);
    }
}
