package org.slim4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The time-boxed fuzzing run of CI: each target fuzzed for {@link #SECONDS} seconds in its own JVM (see
 * {@link FuzzMain}); a finding fails the test with Jazzer's report. In the other test runs the targets only replay
 * their seeds. Long runs: scripts/fuzz.sh.
 */
@Tag("slow")
class FuzzCiTest {
    static final int SECONDS = Integer.getInteger("slim4j.fuzz.seconds", 20);

    @ParameterizedTest
    @ValueSource(classes = {GgufFuzzTest.class, SafetensorsFuzzTest.class, OnnxFuzzTest.class, CompressedTensorsFuzzTest.class,
        ConfigJsonFuzzTest.class, TokenizerFuzzTest.class, RecipeFuzzTest.class})
    void findsNothingIn20Seconds(Class<?> target) throws IOException, InterruptedException {
        Path work = Files.createDirectories(Path.of("target", "fuzz"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), FuzzMain.class.getName(), target.getName(), work.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve(target.getSimpleName() + ".log").toFile());
        pb.environment().put("JAZZER_FUZZ", "1");
        pb.environment().put("JAZZER_MAX_DURATION", SECONDS + "s");
        Process p = pb.start();
        if (!p.waitFor(SECONDS + 300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(target.getSimpleName() + " did not stop within " + (SECONDS + 300) + " s");
        }
        String log = Files.readString(work.resolve(target.getSimpleName() + ".log"));
        assertEquals(0, p.exitValue(), () -> target.getSimpleName() + ":\n" + tail(log));
        System.out.println(target.getSimpleName() + ": " + log.lines().filter(l -> l.contains("DONE") || l.startsWith("Done ")).reduce((a, b) -> b).orElse("?"));
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
