package org.slim4j.compress.calib;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.InputStats;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.testutil.Fixtures;

/**
 * A block run over the calibration batch in chunks of whole sentences gives what one run over the whole batch gives:
 * the same outputs and input statistics up to float rounding (the products tile rows by the batch's size, and the
 * statistics are sums added in another order).
 */
class BertBlocksTest {

    @Test
    void chunksOfSentencesGiveTheWholeBatchsOutputsAndStatistics() {
        List<String> sentences = CalibrationText.sentences(List.of(Fixtures.DATA.resolve("stsb-train.tsv")), 24, 7);
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertBlocks whole = new BertBlocks(m, sentences, Integer.MAX_VALUE), chunked = new BertBlocks(m, sentences, 40);
            assertTrue(whole.tokens() > 3 * 40, "the batch spans several chunks: " + whole.tokens() + " tokens");
            float[] a = whole.embed(), b = chunked.embed();
            Map<String, InputStats> sa = new HashMap<>(), sb = new HashMap<>();
            whole.forward(1, a, (names, in, n) -> sa.computeIfAbsent(names[0], k -> new InputStats(cols(in, n), true)).add(in, n));
            chunked.forward(1, b, (names, in, n) -> sb.computeIfAbsent(names[0], k -> new InputStats(cols(in, n), true)).add(in, n));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5f * (1 + Math.abs(a[i])), "block output " + i);
            assertEquals(sa.keySet(), sb.keySet());
            for (String k : sa.keySet()) {
                double[] ga = sa.get(k).gram(), gb = sb.get(k).gram();
                assertEquals(sa.get(k).samples(), sb.get(k).samples(), k);
                for (int i = 0; i < ga.length; i++) assertEquals(ga[i], gb[i], 1e-5 * (1 + Math.abs(ga[i])), k + " gram " + i);
            }
        }
    }

    private static int cols(float[] in, int n) {
        return in.length / n;
    }
}
