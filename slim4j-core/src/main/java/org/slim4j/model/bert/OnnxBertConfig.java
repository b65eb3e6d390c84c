package org.slim4j.model.bert;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.onnx.proto.Onnx.AttributeProto;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * A BertConfig read off an ONNX export when no config.json is at hand. Sizes come from initializer shapes. The head
 * count is not in any weight: it is the third entry of the [batch, seq, heads, head_size] target that layer 0's
 * attention Reshape is given (a Concat of Constants in torch exports, or one constant); if the graph hides it, head
 * size 64 is assumed (true of every BERT-base/small/MiniLM/bge/e5 checkpoint). layer_norm_eps is the epsilon attribute
 * of a LayerNormalization node or, for decomposed LayerNorm, the constant added to the variance before Sqrt.
 */
final class OnnxBertConfig {
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.");

    private OnnxBertConfig() {}

    static BertConfig infer(OnnxModelFile f) {
        Tensor word = f.tensor("embeddings.word_embeddings.weight");
        Tensor pos = f.tensor("embeddings.position_embeddings.weight");
        Tensor type = f.tensor("embeddings.token_type_embeddings.weight");
        if (word.shape().length != 2) throw new BadInputException(f.path().toString(), word.name(), "expected 2 dimensions, got " + word.shapeString());
        int hidden = (int) word.shape()[1];
        int layers = 0;
        for (Tensor t : f.tensors()) {
            Matcher m = LAYER.matcher(t.name());
            if (m.lookingAt()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        if (layers == 0) throw new BadInputException(f.path().toString(), "encoder.layer.0", "no encoder layers found");
        int intermediate = (int) f.tensor("encoder.layer.0.intermediate.dense.bias").shape()[0];
        int heads = heads(f, hidden).orElse(hidden / 64);
        return new BertConfig((int) word.shape()[0], hidden, layers, heads, intermediate, (int) pos.shape()[0],
                (int) type.shape()[0], epsilon(f));
    }

    private static Optional<Integer> heads(OnnxModelFile f, int hidden) {
        for (NodeProto n : f.nodes()) {
            if (!n.getOpType().equals("Reshape") || !n.getName().contains("layer.0/attention/self") || n.getInputCount() < 2) continue;
            Optional<long[]> target = f.constant(n.getInput(1)).map(OnnxBertConfig::ints);
            if (target.isEmpty()) {
                NodeProto concat = f.producer(n.getInput(1)).filter(p -> p.getOpType().equals("Concat") && p.getInputCount() == 4).orElse(null);
                if (concat == null) continue;
                Optional<long[]> h = f.constant(concat.getInput(2)).map(OnnxBertConfig::ints);
                Optional<long[]> d = f.constant(concat.getInput(3)).map(OnnxBertConfig::ints);
                if (h.isEmpty() || d.isEmpty() || h.get().length != 1 || d.get().length != 1) continue;
                target = Optional.of(new long[] {0, 0, h.get()[0], d.get()[0]});
            }
            long[] s = target.get();
            if (s.length == 4 && s[2] > 0 && s[3] > 0 && s[2] * s[3] == hidden) return Optional.of((int) s[2]);
        }
        return Optional.empty();
    }

    private static double epsilon(OnnxModelFile f) {
        for (NodeProto n : f.nodes()) {
            if (n.getOpType().equals("LayerNormalization")) {
                return n.getAttributeList().stream().filter(a -> a.getName().equals("epsilon")).mapToDouble(AttributeProto::getF).findFirst().orElse(1e-5);
            }
            if (n.getOpType().equals("Sqrt")) {
                NodeProto add = f.producer(n.getInput(0)).orElse(null);
                if (add == null || !add.getOpType().equals("Add")) continue;
                for (String in : add.getInputList()) {
                    Optional<Tensor> c = f.constant(in);
                    if (c.isPresent() && c.get().elements() == 1 && c.get().dtype() == DType.F32) return c.get().data().get(Dequant.F32, 0);
                }
            }
        }
        return 1e-12; // HF BertConfig's default
    }

    private static long[] ints(Tensor t) {
        if (t.dtype() != DType.I64) return new long[0];
        long[] v = new long[(int) t.elements()];
        for (int i = 0; i < v.length; i++) v[i] = t.data().getAtIndex(Dequant.I64, i);
        return v;
    }
}
