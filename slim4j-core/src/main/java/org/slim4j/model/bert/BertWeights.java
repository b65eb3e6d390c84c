package org.slim4j.model.bert;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slim4j.io.TensorFile;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * Every weight of a BERT encoder, float32, linear weights as [out, in].
 * From an HF/Optimum ONNX export: exporters keep HF names for biases and norms but store each MatMul weight as
 * [in, out] under an anonymous name (onnx::MatMul_787), so the MatMul that consumes it is identified by its node
 * name (/encoder/layer.3/attention/self/query/MatMul) or, failing that, by the HF name of the bias its Add consumer
 * adds; the weight is then transposed once into [out, in] for Linear.
 */
public record BertWeights(Tensor wordEmb, Tensor posEmb, Tensor typeEmb, Tensor embNormW, Tensor embNormB, List<Layer> layers) {

    public record Layer(Tensor q, Tensor qb, Tensor k, Tensor kb, Tensor v, Tensor vb, Tensor attnOut, Tensor attnOutB,
                        Tensor attnNormW, Tensor attnNormB, Tensor inter, Tensor interB, Tensor out, Tensor outB,
                        Tensor outNormW, Tensor outNormB) {}

    static final String[] ROLES = {"attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense"};
    private static final Pattern NODE_NAME = Pattern.compile("/encoder/layer\\.(\\d+)/(attention/self/query|attention/self/key|attention/self/value|attention/output/dense|intermediate/dense|output/dense)/MatMul$");
    private static final Pattern BIAS_NAME = Pattern.compile("(?:.*\\.)?encoder\\.layer\\.(\\d+)\\.(" + String.join("|", ROLES).replace(".", "\\.") + ")\\.bias$");

    /** HF-style names ("encoder.layer.0.attention.self.query.weight") to the MatMul initializers that hold them. */
    public static Map<String, String> linearWeightNames(OnnxModelFile f) {
        Map<String, String> names = new HashMap<>();
        for (NodeProto n : f.nodes()) {
            if (!n.getOpType().equals("MatMul") || n.getInputCount() != 2 || f.find(n.getInput(1)).isEmpty()) continue;
            String key = null;
            Matcher m = NODE_NAME.matcher(n.getName());
            if (m.find()) {
                key = "encoder.layer." + m.group(1) + "." + m.group(2).replace('/', '.');
            } else {
                for (NodeProto add : f.consumers(n.getOutput(0))) {
                    if (!add.getOpType().equals("Add")) continue;
                    for (String in : add.getInputList()) {
                        Matcher b = BIAS_NAME.matcher(in);
                        if (f.find(in).isPresent() && b.matches()) key = "encoder.layer." + b.group(1) + "." + b.group(2);
                    }
                }
            }
            if (key != null && names.put(key + ".weight", n.getInput(1)) != null) {
                throw new BadInputException(f.path().toString(), key + ".weight", "more than one MatMul claims this weight");
            }
        }
        return names;
    }

    static BertWeights from(OnnxModelFile f, BertConfig c) {
        Map<String, String> lin = linearWeightNames(f);
        Arena arena = f.arena();
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String p = "encoder.layer." + i + ".";
            layers.add(new Layer(
                    linear(f, lin, p + "attention.self.query", c.hidden(), c.hidden(), arena), vec(f, p + "attention.self.query.bias", c.hidden()),
                    linear(f, lin, p + "attention.self.key", c.hidden(), c.hidden(), arena), vec(f, p + "attention.self.key.bias", c.hidden()),
                    linear(f, lin, p + "attention.self.value", c.hidden(), c.hidden(), arena), vec(f, p + "attention.self.value.bias", c.hidden()),
                    linear(f, lin, p + "attention.output.dense", c.hidden(), c.hidden(), arena), vec(f, p + "attention.output.dense.bias", c.hidden()),
                    vec(f, p + "attention.output.LayerNorm.weight", c.hidden()), vec(f, p + "attention.output.LayerNorm.bias", c.hidden()),
                    linear(f, lin, p + "intermediate.dense", c.intermediate(), c.hidden(), arena), vec(f, p + "intermediate.dense.bias", c.intermediate()),
                    linear(f, lin, p + "output.dense", c.hidden(), c.intermediate(), arena), vec(f, p + "output.dense.bias", c.hidden()),
                    vec(f, p + "output.LayerNorm.weight", c.hidden()), vec(f, p + "output.LayerNorm.bias", c.hidden())));
        }
        return new BertWeights(
                matrix(f, "embeddings.word_embeddings.weight", c.vocabSize(), c.hidden()),
                matrix(f, "embeddings.position_embeddings.weight", c.maxPositions(), c.hidden()),
                matrix(f, "embeddings.token_type_embeddings.weight", c.typeVocabSize(), c.hidden()),
                vec(f, "embeddings.LayerNorm.weight", c.hidden()), vec(f, "embeddings.LayerNorm.bias", c.hidden()), layers);
    }

    /**
     * From a Hugging Face checkpoint (safetensors), where every weight already has its HF name and [out, in] shape;
     * names may carry the "bert." prefix of BertModel-with-head checkpoints.
     */
    public static BertWeights fromCheckpoint(TensorFile f, BertConfig c) {
        String pre = f.find("bert.embeddings.word_embeddings.weight").isPresent() ? "bert." : "";
        java.util.function.BiFunction<String, long[], Tensor> get = (name, shape) -> {
            Tensor t = f.tensor(pre + name);
            if (!t.dtype().isFloatLike() || !java.util.Arrays.equals(t.shape(), shape)) {
                throw new BadInputException(f.path().toString(), pre + name,
                        "expected a float tensor of shape " + java.util.Arrays.toString(shape) + ", got " + t.dtype() + " " + t.shapeString());
            }
            return t;
        };
        long h = c.hidden();
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            long a = c.attentionWidth(l), i = c.intermediateAt(l);
            // a pruned-away sub-block (0 heads / 0 channels) keeps only its output bias and LayerNorm
            java.util.function.BiFunction<String, long[], Tensor> opt = (name, shape) -> shape[0] == 0 || shape[shape.length - 1] == 0 ? null : get.apply(name, shape);
            layers.add(new Layer(
                    opt.apply(p + "attention.self.query.weight", new long[] {a, h}), opt.apply(p + "attention.self.query.bias", new long[] {a}),
                    opt.apply(p + "attention.self.key.weight", new long[] {a, h}), opt.apply(p + "attention.self.key.bias", new long[] {a}),
                    opt.apply(p + "attention.self.value.weight", new long[] {a, h}), opt.apply(p + "attention.self.value.bias", new long[] {a}),
                    opt.apply(p + "attention.output.dense.weight", new long[] {h, a}), get.apply(p + "attention.output.dense.bias", new long[] {h}),
                    get.apply(p + "attention.output.LayerNorm.weight", new long[] {h}), get.apply(p + "attention.output.LayerNorm.bias", new long[] {h}),
                    opt.apply(p + "intermediate.dense.weight", new long[] {i, h}), opt.apply(p + "intermediate.dense.bias", new long[] {i}),
                    opt.apply(p + "output.dense.weight", new long[] {h, i}), get.apply(p + "output.dense.bias", new long[] {h}),
                    get.apply(p + "output.LayerNorm.weight", new long[] {h}), get.apply(p + "output.LayerNorm.bias", new long[] {h})));
        }
        return new BertWeights(get.apply("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h}),
                get.apply("embeddings.position_embeddings.weight", new long[] {c.maxPositions(), h}),
                get.apply("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h}),
                get.apply("embeddings.LayerNorm.weight", new long[] {h}), get.apply("embeddings.LayerNorm.bias", new long[] {h}), layers);
    }

    /** The [out, in] weight: a MatMul's [in, out] initializer transposed, or an initializer already named and shaped so. */
    private static Tensor linear(OnnxModelFile f, Map<String, String> lin, String role, int out, int in, Arena arena) {
        String name = role + ".weight";
        String source = lin.get(name);
        if (source == null) return matrix(f, name, out, in); // kept under its HF name in [out, in] (e.g. by a Gemm exporter)
        Tensor t = f.tensor(source);
        check(f, t, name + " (" + source + ")", in, out);
        MemorySegment dst = arena.allocate(4L * out * in, 64);
        MemorySegment src = t.data();
        for (int r = 0; r < in; r++) {
            for (int col = 0; col < out; col++) dst.setAtIndex(Dequant.F32, (long) col * in + r, src.getAtIndex(Dequant.F32, (long) r * out + col));
        }
        return new Tensor(name, DType.F32, new long[] {out, in}, dst);
    }

    private static Tensor matrix(OnnxModelFile f, String name, int rows, int cols) {
        Tensor t = f.find(name).orElseThrow(() -> new BadInputException(f.path().toString(), name, "initializer not found (is this a BERT export?)"));
        check(f, t, name, rows, cols);
        return t;
    }

    private static Tensor vec(OnnxModelFile f, String name, int n) {
        Tensor t = f.find(name).orElseThrow(() -> new BadInputException(f.path().toString(), name, "initializer not found (is this a BERT export?)"));
        if (t.dtype() != DType.F32 || t.shape().length != 1 || t.shape()[0] != n) {
            throw new BadInputException(f.path().toString(), name, "expected F32 [" + n + "], got " + t.dtype() + " " + t.shapeString());
        }
        return t;
    }

    private static void check(OnnxModelFile f, Tensor t, String name, long rows, long cols) {
        if (t.dtype() != DType.F32 || t.shape().length != 2 || t.shape()[0] != rows || t.shape()[1] != cols) {
            throw new BadInputException(f.path().toString(), name, "expected F32 [" + rows + ", " + cols + "], got " + t.dtype() + " " + t.shapeString());
        }
    }
}
