package org.slim4j.compress.lowrank;

import java.util.Map;
import org.slim4j.compress.LinearWeight;

/** How a factorisation picks its rank for a layer: from a fixed parameter ratio, or from a budget solved beforehand. */
public interface RankRule {
    int rank(LinearWeight w);

    /** The rank whose factors hold {@code ratio} of the dense parameters: r (rows + cols) ~ ratio rows cols. */
    static RankRule ratio(double ratio) {
        return w -> ratioRank(w.rows(), w.cols(), ratio);
    }

    static int ratioRank(int rows, int cols, double ratio) {
        return Math.clamp((long) Math.floor(ratio * rows * cols / (rows + cols)), 1, Math.min(rows, cols));
    }

    /** Ranks chosen per layer name (e.g. by {@link RankBudget}); a layer missing from the map is an error. */
    static RankRule perLayer(Map<String, Integer> ranks) {
        return w -> {
            Integer r = ranks.get(w.name());
            if (r == null) throw new IllegalArgumentException("no rank was allocated to " + w.name());
            return r;
        };
    }
}
