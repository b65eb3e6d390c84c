package org.slim4j.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.slim4j.util.TextFiles;

/**
 * The STS Benchmark TSV (genre, file, year, id, score 0-5, sentence1, sentence2). Some lines carry extra columns
 * (source notes): only the first 7 are read. Lines with fewer columns, an empty sentence or a score that is not a
 * number in [0, 5] are skipped and counted, so a changed file shows up in {@link #malformed()}.
 */
public record StsB(List<Pair> pairs, int malformed) {

    public record Pair(String sentence1, String sentence2, double score) {}

    public static StsB read(Path tsv) {
        List<String> lines = TextFiles.read(tsv, "file").lines().toList();
        List<Pair> pairs = new ArrayList<>();
        int bad = 0;
        for (String line : lines) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            if (f.length < 7 || f[5].isBlank() || f[6].isBlank()) {
                bad++;
                continue;
            }
            double score;
            try {
                score = Double.parseDouble(f[4].trim());
            } catch (NumberFormatException e) {
                bad++;
                continue;
            }
            if (!(score >= 0 && score <= 5)) {
                bad++;
                continue;
            }
            pairs.add(new Pair(f[5], f[6], score));
        }
        return new StsB(List.copyOf(pairs), bad);
    }

    /** Every distinct sentence, first-seen order. */
    public List<String> sentences() {
        LinkedHashSet<String> s = new LinkedHashSet<>();
        for (Pair p : pairs) {
            s.add(p.sentence1());
            s.add(p.sentence2());
        }
        return List.copyOf(s);
    }

    public double[] scores() {
        return pairs.stream().mapToDouble(Pair::score).toArray();
    }
}
