package org.slim4j.io.onnx;

import org.slim4j.io.onnx.proto.Onnx.AttributeProto;
import org.slim4j.io.onnx.proto.Onnx.GraphProto;
import org.slim4j.io.onnx.proto.Onnx.ModelProto;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.io.onnx.proto.Onnx.OperatorSetIdProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto;

/**
 * Raises a BERT export's default-domain opset to 13, which per-channel DequantizeLinear needs (opset 11 exports are
 * common: the langchain4j models are). Of the ops such graphs use, only two changed meaning between 11 and 13:
 * Unsqueeze takes its axes as an input instead of an attribute (converted here), and Softmax stopped coercing its
 * input to 2-D (the same result when it normalises over the last axis, which is checked). Anything else that
 * changed (Squeeze, Split, ReduceSum with axes attributes) is refused rather than silently mis-converted.
 */
public final class Opset13 {
    private Opset13() {}

    public static void upgrade(ModelProto.Builder mb) {
        long current = 0;
        for (int i = 0; i < mb.getOpsetImportCount(); i++) {
            OperatorSetIdProto o = mb.getOpsetImport(i);
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                current = o.getVersion();
                if (current < 13) mb.setOpsetImport(i, o.toBuilder().setVersion(13));
            }
        }
        if (current >= 13) return;
        if (mb.getIrVersion() < 7) mb.setIrVersion(7); // IR 7 is the first to go with opset 13
        GraphProto.Builder g = mb.getGraphBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) continue;
            switch (n.getOpType()) {
                case "Unsqueeze" -> g.setNode(i, axesAsInput(n, g));
                case "Softmax" -> {
                    long axis = n.getAttributeList().stream().filter(a -> a.getName().equals("axis")).mapToLong(AttributeProto::getI).findFirst().orElse(1);
                    // the attention softmax is over [batch, heads, seq, seq]; -1 and 3 both mean its last axis
                    if (axis != -1 && axis != 3) throw new IllegalArgumentException("Softmax " + n.getName() + " with axis " + axis + " cannot move to opset 13 unchanged");
                }
                case "Squeeze", "Split", "ReduceSum" -> {
                    if (n.getAttributeCount() > 0) throw new IllegalArgumentException(n.getOpType() + " " + n.getName() + " changed at opset 13; converting it is not implemented");
                }
                default -> { }
            }
        }
    }

    private static NodeProto axesAsInput(NodeProto n, GraphProto.Builder g) {
        AttributeProto axes = n.getAttributeList().stream().filter(a -> a.getName().equals("axes")).findFirst().orElse(null);
        if (axes == null) return n;
        String name = n.getOutput(0) + "_axes";
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
                .addDims(axes.getIntsCount()).addAllInt64Data(axes.getIntsList());
        g.addInitializer(t);
        NodeProto.Builder b = n.toBuilder().clearAttribute().addInput(name);
        n.getAttributeList().stream().filter(a -> !a.getName().equals("axes")).forEach(b::addAttribute);
        return b.build();
    }
}
