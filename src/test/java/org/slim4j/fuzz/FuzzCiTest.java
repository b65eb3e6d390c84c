package org.slim4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The time-boxed fuzzing run of CI: each target in its own JVM (see {@link FuzzMain}) replays its seeds and past
 * findings, then fuzzes for {@link #SECONDS} seconds; two JVMs at a time, which the 2-core machines run side by side.
 * A finding fails the test with the tail of Jazzer's report. Long runs: scripts/fuzz.sh.
 */
@Tag("slow")
class FuzzCiTest {
    static final int SECONDS = Integer.getInteger("slim4j.fuzz.seconds", 20);
    static final List<Class<?>> TARGETS = List.of(GgufFuzzTest.class, SafetensorsFuzzTest.class, OnnxFuzzTest.class,
            CompressedTensorsFuzzTest.class, ConfigJsonFuzzTest.class, TokenizerFuzzTest.class, RecipeFuzzTest.class);

    @Test
    void everyTargetFindsNothingIn20Seconds() throws Exception {
        Path work = Files.createDirectories(Path.of("target", "fuzz")).toAbsolutePath();
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> runs = new ArrayList<>();
            for (Class<?> t : TARGETS) runs.add(two.submit(() -> fuzz(t, work)));
            List<String> failures = new ArrayList<>();
            for (Future<String> f : runs) {
                String failure = f.get();
                if (failure != null) failures.add(failure);
            }
            assertTrue(failures.isEmpty(), () -> String.join("\n\n", failures));
        } finally {
            two.shutdownNow();
        }
    }

    /** Null when the target found nothing, else its name and the tail of its log. */
    private static String fuzz(Class<?> target, Path work) throws IOException, InterruptedException {
        Path log = work.resolve(target.getSimpleName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), FuzzMain.class.getName(), target.getName(), work.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAZZER_FUZZ", "1");
        pb.environment().put("JAZZER_MAX_DURATION", SECONDS + "s");
        Process p = pb.start();
        if (!p.waitFor(SECONDS + 300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return target.getSimpleName() + " did not stop within " + (SECONDS + 300) + " s";
        }
        List<String> lines = Files.readAllLines(log);
        System.out.println(target.getSimpleName() + ": " + lines.stream().filter(l -> l.startsWith("Done ")).findFirst().orElse("?"));
        return p.exitValue() == 0 ? null
                : target.getSimpleName() + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
