package org.slim4j.compress.calib;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.compress.LinearWeight;
import org.slim4j.model.LinearHook;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.BertWeights;
import org.slim4j.tensor.Tensor;
import org.slim4j.tokenizer.HfTokenizer;

/** A BERT encoder as blocks over calibration sentences (packed one after another, each attending only to itself). */
public final class BertBlocks implements BlockModel {
    private static final String[] LINEARS = {"q", "k", "v", "attnOut", "inter", "out"};
    private static final String[] EXTRAS = {"wordEmb", "posEmb", "typeEmb"};
    private static final int CHUNK_TOKENS = 4096;
    private final int chunkTokens;
    private final BertModel model;
    private final HfTokenizer.Encoded[] batch;
    private final int[] lengths;
    /** weight name -> (layer index or -1 for the embeddings, record component) */
    private final Map<String, Object[]> where = new HashMap<>();

    public BertBlocks(BertModel model, List<String> sentences) {
        this(model, sentences, CHUNK_TOKENS);
    }

    /** With the batch run through a block {@code chunkTokens} tokens at a time (whole sentences; {@link #forward}). */
    BertBlocks(BertModel model, List<String> sentences, int chunkTokens) {
        this.model = model;
        this.chunkTokens = chunkTokens;
        this.batch = new HfTokenizer.Encoded[sentences.size()];
        this.lengths = new int[batch.length];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = model.tokenize(sentences.get(i));
            lengths[i] = batch[i].ids().length;
        }
        BertWeights w = model.weights();
        for (String c : EXTRAS) where.put(((Tensor) get(w, c)).name(), new Object[] {-1, c});
        for (int l = 0; l < w.layers().size(); l++) for (String c : LINEARS) where.put(((Tensor) get(w.layers().get(l), c)).name(), new Object[] {l, c});
    }

    public int tokens() {
        int n = 0;
        for (int len : lengths) n += len;
        return n;
    }

    @Override
    public int blocks() {
        return model.weights().layers().size();
    }

    @Override
    public List<String> linears(int block) {
        List<String> r = new ArrayList<>();
        for (String c : LINEARS) r.add(((Tensor) get(model.weights().layers().get(block), c)).name());
        return r;
    }

    @Override
    public List<String> extraTensors() {
        List<String> r = new ArrayList<>();
        for (String c : EXTRAS) r.add(((Tensor) get(model.weights(), c)).name());
        return r;
    }

    @Override
    public LinearWeight weight(String name) {
        return HeapTensors.read(tensor(name));
    }

    @Override
    public void setWeight(String name, float[] values) {
        Object[] at = locate(name);
        BertWeights w = model.weights();
        int l = (Integer) at[0];
        String c = (String) at[1];
        Tensor t = HeapTensors.f32(tensor(name), values);
        if (l < 0) {
            model.setWeights(Records.with(w, c, t));
        } else {
            List<BertWeights.Layer> layers = new ArrayList<>(w.layers());
            layers.set(l, Records.with(layers.get(l), c, t));
            model.setWeights(Records.with(w, "layers", layers));
        }
    }

    @Override
    public float[] embed() {
        return model.embedRows(batch);
    }

    /**
     * Runs the batch through a block a few thousand tokens at a time (whole sentences): a layer's temporaries (Q, K, V,
     * context, the FFN's intermediate: 13.8 KB a token for MiniLM) then take tens of MB instead of ~0.4 GB for 2048
     * sentences. Each sentence attends only to itself and the hook's statistics are sums, so the result is the same
     * up to float rounding.
     */
    @Override
    public void forward(int block, float[] x, LinearHook hook) {
        int h = model.config().hidden();
        for (int s0 = 0, t0 = 0; s0 < lengths.length; ) {
            int s1 = s0, t1 = t0;
            while (s1 < lengths.length && (s1 == s0 || t1 - t0 + lengths[s1] <= chunkTokens)) t1 += lengths[s1++];
            float[] part = Arrays.copyOfRange(x, t0 * h, t1 * h);
            model.runLayer(block, part, Arrays.copyOfRange(lengths, s0, s1), hook, true);
            System.arraycopy(part, 0, x, t0 * h, part.length);
            s0 = s1;
            t0 = t1;
        }
    }

    private Tensor tensor(String name) {
        Object[] at = locate(name);
        int l = (Integer) at[0];
        return (Tensor) get(l < 0 ? model.weights() : model.weights().layers().get(l), (String) at[1]);
    }

    private Object[] locate(String name) {
        Object[] at = where.get(name);
        if (at == null) throw new IllegalArgumentException("no tensor named " + name);
        return at;
    }

    private static Object get(Record r, String component) {
        return Records.get(r, component);
    }
}
