package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.testutil.Fixtures;

class StsBTest {

    @Test
    void devSetHas1500PairsAndExtraColumnsAreNotMalformed() {
        StsB d = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv"));
        assertEquals(1500, d.pairs().size() + d.malformed());
        assertEquals(0, d.malformed());
        assertEquals("A man with a hard hat is dancing.", d.pairs().get(0).sentence1());
        assertEquals(5.0, d.pairs().get(0).score());
        StsB.Pair extra = d.pairs().stream().filter(p -> p.sentence1().startsWith("Chinese lunar rover")).findFirst().orElseThrow();
        assertEquals("China lands robot rover on moon", extra.sentence2());
        assertTrue(d.sentences().size() > 2500 && d.sentences().size() < 3000, "unique " + d.sentences().size());
    }

    @Test
    void malformedLinesAreSkippedAndCounted(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s.tsv");
        Files.writeString(f, String.join("\n",
                "g\tf\ty\t1\t2.5\ta b\tc d",
                "g\tf\ty\t2\t3\te\tf\textra\tcolumns",
                "g\tf\ty\t3\tnot-a-number\te\tf",
                "g\tf\ty\t4\t2",
                "g\tf\ty\t5\t7.5\te\tf",
                ""));
        StsB d = StsB.read(f);
        assertEquals(2, d.pairs().size());
        assertEquals(3, d.malformed());
        assertEquals(3.0, d.pairs().get(1).score());
    }
}
