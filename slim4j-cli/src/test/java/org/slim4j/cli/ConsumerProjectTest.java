package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.Slim4j;
import org.slim4j.model.Encoder;

/**
 * A project that depends on slim4j-core alone (through slim4j-bom), built by Maven against the local repository the
 * build just installed into, embeds a sentence: the same vector as in-process, and no CLI or ONNX Runtime on its
 * classpath.
 */
class ConsumerProjectTest {
    @Test
    void aProjectDependingOnCoreAloneEmbedsASentence(@TempDir Path dir) throws Exception {
        Path src = Path.of("src/test/consumer");
        try (var files = Files.walk(src)) {
            for (Path f : files.toList()) {
                Path to = dir.resolve(src.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to);
            }
        }
        String version = System.getProperty("slim4j.version");
        List<String> mvn = new ArrayList<>(List.of(mavenExecutable(), "-B", "-q", "-ntp", "-Dslim4j.version=" + version,
                "-Dmaven.repo.local=" + System.getProperty("slim4j.repo"), "package", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt"));
        run(dir, mvn, 600);
        String cp = Files.readString(dir.resolve("cp.txt")).strip();
        assertFalse(cp.contains("picocli") || cp.contains("onnxruntime") || cp.contains("langchain4j"), "slim4j-core pulls no CLI, ONNX Runtime or model jars: " + cp);

        Path onnx = Slim4j.file("all-minilm-l6-v2"); // the model by its path: a library user names a file
        String out = run(dir, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", dir.resolve("target/classes") + File.pathSeparator + cp, "example.Embed", onnx.toString()), 300);
        float[] want;
        try (Encoder e = Slim4j.loadEncoder(onnx.toString())) {
            want = e.embed(List.of("A library user embeds a sentence."))[0];
        }
        String[] got = out.strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
        assertEquals(want.length, Integer.parseInt(got[0]));
        for (int i = 0; i < 3; i++) assertEquals(want[i], Float.parseFloat(got[i + 1]), 1e-6f);
    }

    private static String mavenExecutable() {
        String home = System.getProperty("maven.home");
        return home != null && Files.isExecutable(Path.of(home, "bin", "mvn")) ? Path.of(home, "bin", "mvn").toString() : "mvn";
    }

    private static String run(Path dir, List<String> cmd, int seconds) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }
}
