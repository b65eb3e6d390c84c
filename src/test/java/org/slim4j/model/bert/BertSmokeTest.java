package org.slim4j.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BertSmokeTest {
    @Test
    void miniLmMatchesOrtOnAFewSentences() throws Exception {
        Path[] f = DefaultModels.files("all-minilm-l6-v2");
        try (BertModel m = DefaultModels.allMiniLmL6V2(); OrtReference ort = new OrtReference(f[0], 2)) {
            System.out.println(m.config());
            for (String s : List.of("A man is playing a guitar.", "Hello", "The quick brown fox jumps over the lazy dog, again and again.")) {
                var e = m.tokenize(s);
                float[] a = m.hiddenStates(e.ids(), e.typeIds());
                float[] b = ort.hiddenStates(e.ids(), e.typeIds());
                double maxDiff = 0;
                for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                System.out.println(s + " ids " + java.util.Arrays.toString(e.ids()) + " maxDiff " + maxDiff);
                assertTrue(maxDiff < 1e-3, "max diff " + maxDiff);
            }
        }
    }
}
