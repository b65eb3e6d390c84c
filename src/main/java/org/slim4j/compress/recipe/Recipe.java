package org.slim4j.compress.recipe;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.Compressor;

/**
 * Stages of modifiers, llm-compressor style: within a stage the LAST modifier that targets a tensor wins (so a
 * later, narrower modifier keeps chosen layers at other precision); stages apply one after another to the same
 * tensor within the one layer-wise pass (prune, then quantize).
 */
public record Recipe(String source, List<List<Modifier>> stages) {

    /** The plan for a model whose linear layers are {@code linears} (every other tensor counts as an embedding). */
    public CompressionPlan plan(Set<String> linears) {
        // a pruner followed by a quantizer becomes one stage that keeps the sparsity mask (see PruneThenQuantize)
        return org.slim4j.compress.prune.PruneThenQuantize.fuse(name -> {
            boolean linear = linears.contains(name);
            List<Compressor> r = new ArrayList<>();
            for (List<Modifier> stage : stages) {
                Compressor chosen = null;
                for (Modifier m : stage) if (m.applies(name, linear)) chosen = m.compressor();
                if (chosen != null) r.add(chosen);
            }
            return r;
        });
    }

    /** Whether any stage needs calibration inputs. */
    public boolean needsCalibration() {
        return stages.stream().flatMap(List::stream).anyMatch(m -> m.compressor().needsCalibration());
    }
}
