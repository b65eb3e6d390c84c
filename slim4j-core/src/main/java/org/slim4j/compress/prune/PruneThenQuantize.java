package org.slim4j.compress.prune;

import java.util.ArrayList;
import java.util.List;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.QuantizedLinear;

/**
 * A pruner followed by a quantizer on the same layer in the same calibration pass, as llm-compressor's sparse-quant
 * recipes do (e.g. SparseGPT 2:4, then GPTQ W4). Chained naively, GPTQ's error feedback would refill the pruned
 * weights and the result would store as a dense int4 matrix; here the quantizer keeps the mask: GPTQ runs as the OBS
 * pass with the mask fixed (pruned weights have no error to spread and stay zero), RTN keeps zeros by construction
 * (0 lies on every compressed-tensors grid). Storage is the mask plus codes of the kept weights.
 */
public final class PruneThenQuantize implements Compressor {
    private final Compressor pruner;
    private final Compressor quantizer;
    private final QuantScheme scheme;

    public PruneThenQuantize(Compressor pruner, Compressor quantizer) {
        if (!pruner.prunes()) throw new IllegalArgumentException(pruner.name() + " is not a pruner");
        this.pruner = pruner;
        this.quantizer = quantizer;
        this.scheme = quantizer.grid();
        if (scheme == null) throw new IllegalArgumentException("cannot keep a sparsity mask through " + quantizer.name() + " (use gptq or rtn)");
    }


    /** The plan with every pruner immediately followed by GPTQ or RTN fused into one mask-keeping stage. */
    public static CompressionPlan fuse(CompressionPlan plan) {
        return name -> {
            List<Compressor> in = plan.stagesFor(name), out = new ArrayList<>();
            for (int i = 0; i < in.size(); i++) {
                if (i + 1 < in.size() && in.get(i).prunes() && in.get(i + 1).grid() != null) {
                    out.add(new PruneThenQuantize(in.get(i), in.get(i + 1)));
                    i++;
                } else {
                    out.add(in.get(i));
                }
            }
            return out;
        };
    }

    @Override
    public String name() {
        return pruner.name() + "+" + quantizer.name();
    }

    @Override
    public boolean needsGram() {
        return pruner.needsGram() || quantizer.needsGram();
    }

    @Override
    public boolean needsCalibration() {
        return pruner.needsCalibration() || quantizer.needsCalibration();
    }

    @Override
    public Compressor dataFree() {
        Compressor p = pruner.dataFree(), q = quantizer.dataFree();
        return p == null || q == null ? null : new PruneThenQuantize(p, q);
    }

    private static double error(LinearWeight w, CompressedLinear c, float[] gram) {
        float[] d = c.effectiveWeight();
        for (int i = 0; i < d.length; i++) d[i] = w.w()[i] - d[i];
        return org.slim4j.compress.OutputError.quadratic(d, w.rows(), w.cols(), gram);
    }

    private SparseQuantizedLinear relabel(SparseQuantizedLinear s, SparseLinear sparse, LinearWeight w) {
        return new SparseQuantizedLinear(SparseLinear.of(w.rows(), w.cols(), s.sparse().keep(), s.effectiveWeight(), sparse.pattern(), name()), s.quant());
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        CompressedLinear pruned = pruner.compress(w, stats);
        if (pruned instanceof SparseQuantizedLinear done) return done; // SparseGPT already quantized in its pass
        SparseLinear sparse = (SparseLinear) pruned;
        LinearWeight sw = w.withValues(sparse.effectiveWeight());
        if (quantizer.feedsErrorBack()) {
            // Two ways to keep the mask: the OBS pass with the mask fixed (errors never land on pruned weights), or
            // GPTQ as configured (act-order, clipping search) with the refilled weights zeroed again afterwards. Which
            // is closer depends on the layer (the second's grids are better, the first compensates every error), so
            // the one with the smaller output error on this layer's calibration inputs is kept.
            SparseQuantizedLinear fixed = (SparseQuantizedLinear) new SparseGpt(sparse.pattern(), 0.01, scheme).prune(sw, stats.hessian(), sparse.keep());
            QuantizedLinear g = (QuantizedLinear) quantizer.compress(sw, stats);
            SparseQuantizedLinear remasked = new SparseQuantizedLinear(SparseLinear.of(w.rows(), w.cols(), sparse.keep(), g.effectiveWeight(), sparse.pattern(), name()), g);
            float[] gram = stats.gramFloat();
            return error(w, fixed, gram) <= error(w, remasked, gram) ? relabel(fixed, sparse, w) : remasked;
        }
        QuantizedLinear q = (QuantizedLinear) quantizer.compress(sw, stats);
        return new SparseQuantizedLinear(SparseLinear.of(w.rows(), w.cols(), sparse.keep(), q.effectiveWeight(), sparse.pattern(), name()), q);
    }
}
