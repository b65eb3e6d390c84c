package org.slim4j.compress.calib;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.compress.LinearWeight;
import org.slim4j.model.LinearHook;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.Tensor;

/**
 * A Llama-family decoder as blocks over calibration sequences (samples x sequence length, each from position 0).
 * With tied embeddings the one matrix is both the token table and the output layer; compressing it changes both.
 */
public final class LlamaBlocks implements BlockModel {
    private static final String[] LINEARS = {"wq", "wk", "wv", "wo", "wGate", "wUp", "wDown"};
    private final LlamaModel model;
    private final int[][] batch;
    private final Map<String, Object[]> where = new HashMap<>();
    /** The loaded tensors (memory-mapped), by name: what {@link #restore} puts back. */
    private final Map<String, Tensor> originals = new HashMap<>();
    /** The arenas of the float32 copies set in place of the originals, by name. */
    private final Map<String, Arena> copies = new HashMap<>();

    public LlamaBlocks(LlamaModel model, int[][] sequences) {
        this.model = model;
        this.batch = sequences;
        LlamaWeights w = model.weights();
        where.put(w.embedding().name(), new Object[] {-1, "embedding"});
        if (w.output() != w.embedding()) where.put(w.output().name(), new Object[] {-1, "output"});
        for (int l = 0; l < w.layers().length; l++) for (String c : LINEARS) where.put(((Tensor) get(w.layers()[l], c)).name(), new Object[] {l, c});
        for (String n : where.keySet()) originals.put(n, tensor(n));
    }

    /** The loaded tensors back in place of the float32 copies set on them (a 1B model's copies are 5 GB of native memory). */
    @Override
    public void restore(List<String> names) {
        for (String n : names) set(n, originals.get(n), null);
    }

    @Override
    public int blocks() {
        return model.weights().layers().length;
    }

    @Override
    public List<String> linears(int block) {
        List<String> r = new ArrayList<>();
        for (String c : LINEARS) r.add(((Tensor) get(model.weights().layers()[block], c)).name());
        return r;
    }

    @Override
    public List<String> extraTensors() {
        LlamaWeights w = model.weights();
        return w.output() == w.embedding() || tied() ? List.of(w.embedding().name()) : List.of(w.embedding().name(), w.output().name());
    }

    private boolean tied() {
        return model.config().tiedEmbeddings();
    }

    @Override
    public LinearWeight weight(String name) {
        return HeapTensors.read(tensor(name));
    }

    @Override
    public void setWeight(String name, float[] values) {
        Arena arena = Arena.ofShared();
        set(name, HeapTensors.f32(tensor(name), values, arena), arena);
    }

    /**
     * Replaces a tensor by {@code t} (any type the model's kernels read, e.g. a cached quantized version): no copy is
     * made, so a search can swap between versions it holds off the heap; a float32 copy it replaces is freed.
     */
    public void setTensor(String name, Tensor t) {
        set(name, t, null);
    }

    /**
     * Puts t in place; the arena of the copy it replaces is closed at once. An auto arena's copy was freed only when a
     * full GC found it, which a mostly idle old generation rarely runs: every tensor's copy stayed resident.
     */
    private void set(String name, Tensor t, Arena arena) {
        Arena previous = arena == null ? copies.remove(name) : copies.put(name, arena);
        Object[] at = locate(name);
        LlamaWeights w = model.weights();
        int l = (Integer) at[0];
        String c = (String) at[1];
        if (l < 0) {
            LlamaWeights nw = Records.with(w, c, t);
            if (c.equals("embedding") && (w.output() == w.embedding() || tied())) nw = Records.with(nw, "output", t);
            model.setWeights(nw);
        } else {
            LlamaWeights.Layer[] layers = w.layers().clone();
            layers[l] = Records.with(layers[l], c, t);
            model.setWeights(Records.with(w, "layers", layers));
        }
        if (previous != null) previous.close();
    }

    @Override
    public String inputNorm(String linear) {
        Object[] at = where.get(linear);
        if (at == null || (Integer) at[0] < 0) return null;
        return switch ((String) at[1]) {
            case "wq", "wk", "wv" -> "attnNorm " + at[0];
            case "wGate", "wUp" -> "ffnNorm " + at[0];
            default -> null;
        };
    }

    @Override
    public void divideNorm(String norm, float[] s) {
        String[] p = norm.split(" ");
        LlamaWeights.Layer layer = model.weights().layers()[Integer.parseInt(p[1])];
        float[] g = p[0].equals("attnNorm") ? layer.attnNorm() : layer.ffnNorm();
        if (g.length != s.length) throw new IllegalArgumentException(norm + " has " + g.length + " channels, the scale " + s.length);
        for (int j = 0; j < g.length; j++) g[j] /= s[j];
    }

    @Override
    public float[] embed() {
        int h = model.config().hidden(), len = batch[0].length;
        float[] x = new float[batch.length * len * h];
        for (int s = 0; s < batch.length; s++) System.arraycopy(model.embedRows(batch[s]), 0, x, s * len * h, len * h);
        return x;
    }

    @Override
    public void forward(int block, float[] x, LinearHook hook) {
        int h = model.config().hidden(), len = batch[0].length;
        float[] one = new float[len * h];
        for (int s = 0; s < batch.length; s++) {
            System.arraycopy(x, s * len * h, one, 0, len * h);
            model.runBlock(block, one, len, hook);
            System.arraycopy(one, 0, x, s * len * h, len * h);
        }
    }

    /** The hidden size: columns of every block's input. */
    public int hidden() {
        return model.config().hidden();
    }

    /** What the output matrix reads for the batch's hidden states x after the last block: their final RMSNorm. */
    public float[] outputInput(float[] x) {
        return model.finalNorm(x, x.length / model.config().hidden());
    }

    /**
     * The first block whose output a change of tensor {@code name} alters: its block, -1 for the token embedding (every
     * block's input changes), {@link #blocks()} for an untied output matrix (only the logits).
     */
    public int firstBlock(String name) {
        Object[] at = locate(name);
        int l = (Integer) at[0];
        return l >= 0 ? l : at[1].equals("output") ? blocks() : -1;
    }

    /** The tensor the model now has under {@code name}. */
    public Tensor tensor(String name) {
        Object[] at = locate(name);
        int l = (Integer) at[0];
        return (Tensor) get(l < 0 ? model.weights() : model.weights().layers()[l], (String) at[1]);
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
