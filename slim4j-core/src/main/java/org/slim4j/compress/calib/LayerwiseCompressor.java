package org.slim4j.compress.calib;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.OutputError;
import org.slim4j.compress.StagedLinear;
import org.slim4j.compress.GlobalAllocation;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Progress;

/**
 * The layer-wise calibration pass (GPTQ's sequential scheme, Frantar et al. 2022): the calibration batch runs
 * through block l with the original weights while every linear's input statistics are gathered; block l's linears
 * are compressed (each through its plan's stages in order); block l then runs again with the compressed weights and
 * its output feeds block l+1, so later layers are calibrated on what the compressed model really computes.
 * Tensors outside the blocks (embeddings) are compressed first, data-free. Memory: one block's statistics plus the
 * batch's activations.
 */
public final class LayerwiseCompressor {
    private final CompressionPlan plan;
    private java.util.function.BiConsumer<String, CompressedLinear> sink = (n, c) -> { };
    private boolean restore;

    public LayerwiseCompressor(CompressionPlan plan) {
        this.plan = plan;
    }

    /** Receives every tensor's compressed form as it is made (writers that store codes and scales keep them). */
    public LayerwiseCompressor onCompressed(java.util.function.BiConsumer<String, CompressedLinear> sink) {
        this.sink = sink;
        return this;
    }

    /**
     * Once a block has run with its compressed weights, the model gets its original tensors back ({@link
     * BlockModel#restore}), and the extra tensors once the batch is embedded: for callers that keep only what the sink
     * received (a GGUF written from it), so that one block's float32 copies are resident at a time instead of the
     * whole model's (Llama-3.2-1B: 5 GB).
     */
    public LayerwiseCompressor restoringEachBlock() {
        this.restore = true;
        return this;
    }

    public List<LayerResult> run(BlockModel model) {
        List<GlobalAllocation> global = globalAllocations(model);
        if (!global.isEmpty()) {
            // the probes record every layer's statistics and change nothing; then each method allocates its budget
            CompressionPlan probes = name -> plan.stagesFor(name).stream()
                    .filter(c -> c.globalAllocation() != null).map(c -> c.globalAllocation().probe()).toList();
            new LayerwiseCompressor(probes).pass(model, "probe");
            for (GlobalAllocation g : global) g.allocate();
        }
        return pass(model, "compress");
    }

    /** The distinct global allocations the plan's methods need, over every tensor of the model. */
    private List<GlobalAllocation> globalAllocations(BlockModel model) {
        List<String> names = new ArrayList<>(model.extraTensors());
        for (int b = 0; b < model.blocks(); b++) names.addAll(model.linears(b));
        List<GlobalAllocation> out = new ArrayList<>();
        for (String n : names) {
            for (Compressor c : plan.stagesFor(n)) {
                GlobalAllocation g = c.globalAllocation();
                if (g != null && out.stream().noneMatch(x -> x == g)) out.add(g);
            }
        }
        return out;
    }

    private List<LayerResult> pass(BlockModel model, String label) {
        List<LayerResult> results = new ArrayList<>();
        int total = model.extraTensors().size();
        for (int b = 0; b < model.blocks(); b++) total += model.linears(b).size();
        Progress progress = new Progress(label, total);
        int done = 0;
        for (String name : model.extraTensors()) {
            List<Compressor> stages = dataFree(name, plan.stagesFor(name));
            if (!stages.isEmpty()) results.add(report(progress, ++done, compress(model, name, stages, null, sink)));
            else done++;
        }
        float[] x = model.embed();
        if (restore && label.equals("compress")) model.restore(model.extraTensors());
        for (int b = 0; b < model.blocks(); b++) {
            Map<String, InputStats> stats = new HashMap<>();
            boolean needStats = false;
            for (String name : model.linears(b)) needStats |= !plan.stagesFor(name).isEmpty();
            float[] reference = x.clone();
            if (needStats) {
                model.forward(b, reference, (linears, in, n) -> {
                    InputStats s = stats.get(linears[0]);
                    if (s == null) {
                        s = new InputStats(colsOf(model, linears[0]), true);
                        for (String l : linears) stats.put(l, s);
                    }
                    s.add(in, n);
                });
            } else {
                model.forward(b, reference, null);
            }
            Set<String> folded = new HashSet<>();
            for (List<String> group : awqFoldGroups(model, b, stats)) {
                for (LayerResult r : foldAwq(model, group, stats.get(group.getFirst()), sink)) {
                    results.add(report(progress, ++done, r));
                    folded.add(r.name());
                }
            }
            for (String name : model.linears(b)) {
                if (folded.contains(name)) continue;
                List<Compressor> stages = plan.stagesFor(name);
                done++;
                if (stages.isEmpty()) continue;
                results.add(report(progress, done, compress(model, name, stages, stats.get(name), sink)));
            }
            if (needStats) model.forward(b, x, null);
            else x = reference;
            if (needStats) progress.step(done, String.format(Locale.ROOT, "block %d output rel. error %.5f", b, relative(reference, x)));
            if (restore && label.equals("compress")) model.restore(model.linears(b));
        }
        return results;
    }

    /** Linears of block b that share an input which a norm alone produces, every one of them by one input-scaling method alone (AWQ). */
    private List<List<String>> awqFoldGroups(BlockModel model, int b, Map<String, InputStats> stats) {
        Map<InputStats, List<String>> byInput = new java.util.LinkedHashMap<>();
        for (String name : model.linears(b)) if (stats.get(name) != null) byInput.computeIfAbsent(stats.get(name), k -> new ArrayList<>()).add(name);
        List<List<String>> groups = new ArrayList<>();
        for (List<String> g : byInput.values()) {
            String norm = model.inputNorm(g.getFirst());
            if (norm == null) continue;
            boolean ok = true;
            for (String n : g) {
                List<Compressor> st = plan.stagesFor(n);
                ok &= st.size() == 1 && st.getFirst().inputScaling() != null && norm.equals(model.inputNorm(n));
            }
            if (ok) groups.add(g);
        }
        return groups;
    }

    /** One input scale for the group, 1/s folded into the norm: each layer stores C(W diag(s)) plainly (AWQ: plain codes). */
    private List<LayerResult> foldAwq(BlockModel model, List<String> group, InputStats stats, java.util.function.BiConsumer<String, CompressedLinear> sink) {
        long t0 = System.nanoTime();
        List<LinearWeight> ws = new ArrayList<>();
        for (String n : group) ws.add(model.weight(n));
        float[] s = plan.stagesFor(group.getFirst()).getFirst().inputScaling().sharedScale(ws, stats);
        String norm = model.inputNorm(group.getFirst());
        model.divideNorm(norm, s);
        double shared = (System.nanoTime() - t0) / 1e9 / group.size();
        List<LayerResult> out = new ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            long t1 = System.nanoTime();
            String name = group.get(i);
            LinearWeight w = ws.get(i);
            CompressedLinear q = plan.stagesFor(name).getFirst().inputScaling().compressScaled(w, s, stats);
            model.setWeight(name, q.effectiveWeight());
            sink.accept(name, q);
            float[] unfolded = q.effectiveWeight(); // what the layer computes on its own input: W diag(s) / s
            for (int k = 0; k < unfolded.length; k++) unfolded[k] /= s[k % w.cols()];
            double err = OutputError.relative(w.w(), unfolded, w.rows(), w.cols(), stats);
            out.add(new LayerResult(name, w.rows(), w.cols(), q.describe() + ", input scale folded into " + norm, q.storageBits(), err,
                    shared + (System.nanoTime() - t1) / 1e9));
        }
        return out;
    }

    private static int colsOf(BlockModel m, String name) {
        return m.weight(name).cols();
    }

    private static LayerResult compress(BlockModel model, String name, List<Compressor> stages, InputStats stats,
                                        java.util.function.BiConsumer<String, CompressedLinear> sink) {
        long t0 = System.nanoTime();
        LinearWeight original = model.weight(name);
        LinearWeight w = original;
        List<CompressedLinear> done = new ArrayList<>();
        for (Compressor c : stages) {
            CompressedLinear out = c.compress(w, stats);
            done.add(out);
            w = w.withValues(out.effectiveWeight());
        }
        CompressedLinear result = done.size() == 1 ? done.getFirst() : new StagedLinear(done);
        model.setWeight(name, w.w());
        sink.accept(name, result);
        double err = stats != null && stats.hasGram()
                ? OutputError.relative(original.w(), w.w(), w.rows(), w.cols(), stats)
                : relative(original.w(), w.w());
        return new LayerResult(name, w.rows(), w.cols(), result.describe(), result.storageBits(), err, (System.nanoTime() - t0) / 1e9);
    }

    private static LayerResult report(Progress p, int done, LayerResult r) {
        p.step(done, String.format(Locale.ROOT, "%s [%d x %d] %s: rel. error %.5f (%.2fs)", r.name(), r.rows(), r.cols(), r.method(), r.relError(), r.seconds()));
        return r;
    }

    private static List<Compressor> dataFree(String name, List<Compressor> stages) {
        List<Compressor> r = new ArrayList<>();
        for (Compressor c : stages) {
            Compressor f = c.dataFree();
            if (f == null) throw new BadInputException(name, "method", c.name() + " needs calibration inputs, which a lookup table does not have; use a data-free method or ignore it");
            r.add(f);
        }
        return r;
    }

    static double relative(float[] ref, float[] got) {
        double d = 0, n = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = ref[i] - got[i];
            d += e * e;
            n += (double) ref[i] * ref[i];
        }
        return n == 0 ? 0 : Math.sqrt(d / n);
    }
}
