package org.slim4j.compress.structured;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Which units to keep given their importance: the most important, returned in their original order. */
final class Ranking {
    private Ranking() {}

    static List<Integer> keepTop(double[] importance, int keep) {
        List<Integer> idx = new ArrayList<>(IntStream.range(0, importance.length).boxed().toList());
        idx.sort(Comparator.comparingDouble((Integer i) -> -importance[i]).thenComparingInt(i -> i));
        List<Integer> kept = new ArrayList<>(idx.subList(0, Math.clamp(keep, 0, importance.length)));
        kept.sort(null);
        return kept;
    }
}
