package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Bad flags and bad files: one line naming the problem, exit code 2, no stack trace unless --verbose. */
class CliErrorsTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void unknownFlagIsOneLineAndExitCode2() {
        Run r = run("eval", "perplexity", "--no-such-flag");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--no-such-flag"), r.err());
    }

    @Test
    void unknownCommandIsExitCode2() {
        Run r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void missingModelFileNamesTheFile() {
        Run r = run("eval", "perplexity", "-m", "/nonexistent/model.gguf", "-f", "/nonexistent/text.txt");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("/nonexistent/model.gguf"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run r = run("--verbose", "eval", "perplexity", "-m", "/nonexistent/model.gguf", "-f", "/nonexistent/text.txt");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void helpWorksOnEveryCommand() {
        for (String[] cmd : new String[][] {{"--help"}, {"eval", "--help"}, {"eval", "perplexity", "--help"}, {"eval", "kld", "--help"}}) {
            Run r = run(cmd);
            assertEquals(0, r.code(), String.join(" ", cmd));
            assertTrue(r.out().contains("Usage:"), r.out());
        }
    }
}
