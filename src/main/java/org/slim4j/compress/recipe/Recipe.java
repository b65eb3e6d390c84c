package org.slim4j.compress.recipe;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.util.BadInputException;
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

    /**
     * Checks the recipe against a model before any work: every modifier's targets (less its ignores) match at least
     * one of its tensors, and every quantizer's group size divides the input columns of each linear it applies to.
     * Errors name the recipe and the field, e.g. {@code stages[1].modifiers[0].targets}.
     *
     * @param linears the linear layers' weights; {@code others} every other tensor (embeddings, an untied output)
     * @param cols    a linear's input columns
     */
    public void check(Set<String> linears, Set<String> others, ToIntFunction<String> cols) {
        for (int i = 0; i < stages.size(); i++) {
            for (int j = 0; j < stages.get(i).size(); j++) {
                Modifier m = stages.get(i).get(j);
                String where = "stages[" + i + "].modifiers[" + j + "]";
                List<String> matched = new ArrayList<>();
                for (String name : linears) if (m.applies(name, true)) matched.add(name);
                boolean any = !matched.isEmpty();
                for (String name : others) any |= m.applies(name, false);
                if (!any) {
                    throw new BadInputException(source, where + ".targets", m.targets() + (m.ignore().isEmpty() ? "" : " less ignore " + m.ignore())
                            + " match no tensor of the model (e.g. " + linears.stream().findFirst().orElse("none") + ")");
                }
                QuantScheme grid = m.compressor().grid();
                if (grid == null || grid.groupSize() <= 0) continue;
                for (String name : matched) {
                    int c = cols.applyAsInt(name);
                    if (c % grid.groupSize() != 0) {
                        throw new BadInputException(source, where + ".scheme.group_size", grid.groupSize() + " does not divide the " + c
                                + " input columns of " + name);
                    }
                }
            }
        }
    }

    /** Whether any stage needs calibration inputs. */
    public boolean needsCalibration() {
        return stages.stream().flatMap(List::stream).anyMatch(m -> m.compressor().needsCalibration());
    }
}
