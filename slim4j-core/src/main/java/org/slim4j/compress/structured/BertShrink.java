package org.slim4j.compress.structured;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.BertWeights;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * Structured removal that really shrinks the tensors: whole layers, attention heads (their q/k/v rows and
 * attention-output columns) and FFN channels (intermediate rows, output columns). Removing a unit deletes exactly
 * its contribution to the residual stream; nothing is re-fitted. Tensors are renamed to HF names of the new layout.
 *
 * @param prunedHeads per new layer index, the original indices of the heads removed (HF's pruned_heads)
 */
public record BertShrink(BertConfig config, BertWeights weights, Map<Integer, List<Integer>> prunedHeads) {

    /**
     * @param keepLayers    original layer indices to keep, ascending
     * @param keepHeads     per original layer, the heads to keep (null: all)
     * @param keepChannels  per original layer, the FFN channels to keep (null: all)
     */
    public static BertShrink of(BertModel m, List<Integer> keepLayers, List<List<Integer>> keepHeads, List<List<Integer>> keepChannels) {
        BertConfig c = m.config();
        BertWeights w = m.weights();
        int h = c.hidden(), d = c.headSize();
        List<BertWeights.Layer> layers = new ArrayList<>();
        List<Integer> headCounts = new ArrayList<>(), widths = new ArrayList<>();
        Map<Integer, List<Integer>> pruned = new LinkedHashMap<>();
        for (int l : keepLayers) {
            int nl = layers.size();
            String p = "encoder.layer." + nl + ".";
            BertWeights.Layer L = w.layers().get(l);
            List<Integer> heads = keepHeads == null || keepHeads.get(l) == null ? range(c.headsAt(l)) : keepHeads.get(l);
            List<Integer> chans = keepChannels == null || keepChannels.get(l) == null ? range(c.intermediateAt(l)) : keepChannels.get(l);
            if (c.headsAt(l) != c.heads()) throw new IllegalArgumentException("layer " + l + " is already pruned; shrink the original model");
            List<Integer> gone = new ArrayList<>();
            for (int hd = 0; hd < c.heads(); hd++) if (!heads.contains(hd)) gone.add(hd);
            if (!gone.isEmpty()) pruned.put(nl, gone);
            List<Integer> attnRows = new ArrayList<>();
            for (int hd : heads) for (int j = 0; j < d; j++) attnRows.add(hd * d + j);
            layers.add(new BertWeights.Layer(
                    rows(L.q(), attnRows, p + "attention.self.query.weight"), entries(L.qb(), attnRows, p + "attention.self.query.bias"),
                    rows(L.k(), attnRows, p + "attention.self.key.weight"), entries(L.kb(), attnRows, p + "attention.self.key.bias"),
                    rows(L.v(), attnRows, p + "attention.self.value.weight"), entries(L.vb(), attnRows, p + "attention.self.value.bias"),
                    columns(L.attnOut(), attnRows, p + "attention.output.dense.weight"), copy(L.attnOutB(), p + "attention.output.dense.bias"),
                    copy(L.attnNormW(), p + "attention.output.LayerNorm.weight"), copy(L.attnNormB(), p + "attention.output.LayerNorm.bias"),
                    rows(L.inter(), chans, p + "intermediate.dense.weight"), entries(L.interB(), chans, p + "intermediate.dense.bias"),
                    columns(L.out(), chans, p + "output.dense.weight"), copy(L.outB(), p + "output.dense.bias"),
                    copy(L.outNormW(), p + "output.LayerNorm.weight"), copy(L.outNormB(), p + "output.LayerNorm.bias")));
            headCounts.add(heads.size());
            widths.add(chans.size());
        }
        BertWeights nw = new BertWeights(copy(w.wordEmb(), "embeddings.word_embeddings.weight"),
                copy(w.posEmb(), "embeddings.position_embeddings.weight"), copy(w.typeEmb(), "embeddings.token_type_embeddings.weight"),
                copy(w.embNormW(), "embeddings.LayerNorm.weight"), copy(w.embNormB(), "embeddings.LayerNorm.bias"), layers);
        return new BertShrink(c.withLayers(headCounts, widths), nw, pruned);
    }

    public static List<Integer> range(int n) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < n; i++) r.add(i);
        return r;
    }

    private static Tensor f32(String name, long[] shape, float[] v) {
        return new Tensor(name, DType.F32, shape, MemorySegment.ofArray(v));
    }

    private static Tensor copy(Tensor t, String name) {
        return f32(name, t.shape().clone(), Dequant.toFloats(t));
    }

    /** The selected rows of a matrix [rows, cols]; null when none are left (the sub-block is gone). */
    private static Tensor rows(Tensor t, List<Integer> keep, String name) {
        if (keep.isEmpty()) return null;
        int cols = (int) t.cols();
        float[] all = Dequant.toFloats(t), out = new float[keep.size() * cols];
        for (int i = 0; i < keep.size(); i++) System.arraycopy(all, keep.get(i) * cols, out, i * cols, cols);
        return f32(name, new long[] {keep.size(), cols}, out);
    }

    private static Tensor columns(Tensor t, List<Integer> keep, String name) {
        if (keep.isEmpty()) return null;
        int rows = (int) t.rows(), cols = (int) t.cols();
        float[] all = Dequant.toFloats(t), out = new float[rows * keep.size()];
        for (int r = 0; r < rows; r++) for (int i = 0; i < keep.size(); i++) out[r * keep.size() + i] = all[r * cols + keep.get(i)];
        return f32(name, new long[] {rows, keep.size()}, out);
    }

    private static Tensor entries(Tensor t, List<Integer> keep, String name) {
        if (keep.isEmpty()) return null;
        float[] all = Dequant.toFloats(t), out = new float[keep.size()];
        for (int i = 0; i < keep.size(); i++) out[i] = all[keep.get(i)];
        return f32(name, new long[] {keep.size()}, out);
    }

    /** Parameters of the linear layers (what the structure changes). */
    public long linearParameters() {
        long p = 0;
        for (var l : weights.layers()) for (Tensor t : new Tensor[] {l.q(), l.k(), l.v(), l.attnOut(), l.inter(), l.out()}) if (t != null) p += t.elements();
        return p;
    }
}
