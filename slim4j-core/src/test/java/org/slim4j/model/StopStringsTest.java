package org.slim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void holdsBackWhatMayStartAStopStringAndCutsAtIt() {
        StopStrings s = new StopStrings(List.of("\nUser:", "###"));
        StringBuilder shown = new StringBuilder();
        for (String piece : List.of("Hello", " wor", "ld\n", "Us", "er: more")) shown.append(s.push(piece));
        assertTrue(s.stopped());
        assertEquals("Hello world", shown.toString());
    }

    @Test
    void releasesAFalseStartAndFlushesAtTheEnd() {
        StopStrings s = new StopStrings(List.of("###"));
        assertEquals("a", s.push("a#"));
        assertEquals("#b", s.push("b"));
        assertEquals("", s.push("##"));
        assertEquals("##", s.flush());
        assertFalse(s.stopped());
    }

    @Test
    void earliestStopWins() {
        StopStrings s = new StopStrings(List.of("c", "b"));
        assertEquals("a", s.push("abc"));
        assertEquals("", s.push("more"));
    }
}
