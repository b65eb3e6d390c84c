package org.slim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The layers of slim4j, lowest first (README, "Layout"): a class may use its own layer and the layers below it,
 * never one above. The root package {@code org.slim4j} is the Java API ({@link Slim4j}), the top of slim4j-core.
 */
class LayeringTest {
    /**
     * The layers of slim4j-core; the modules above it (slim4j-server, then slim4j-cli with its benchmarks, and the
     * integrations) can only use it, never the reverse, as Maven builds no cycle between modules.
     */
    static final List<String> LAYERS = List.of("util", "tensor", "io", "tokenizer", "model", "convert", "eval", "compress", "");

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.slim4j");

    static int layer(JavaClass c) {
        String p = c.getPackageName();
        if (!p.startsWith("org.slim4j")) return -1;
        String rest = p.equals("org.slim4j") ? "" : p.substring("org.slim4j.".length()).split("\\.")[0];
        int i = LAYERS.indexOf(rest);
        if (i < 0) throw new AssertionError(c.getName() + " is in package '" + rest + "', which is in no layer: add it to LAYERS and the README");
        return i;
    }

    @Test
    void everyDependencyPointsDown() {
        Set<String> back = new TreeSet<>();
        for (JavaClass c : MAIN) {
            int from = layer(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                int to = layer(d.getTargetClass());
                if (to > from) back.add(c.getName() + " -> " + d.getTargetClass().getName() + " (" + LAYERS.get(from) + " uses " + LAYERS.get(to) + ")");
            }
        }
        assertEquals(Set.of(), back, "dependencies that run up the layers");
    }

    @Test
    void topLevelPackagesFormNoCycle() {
        SlicesRuleDefinition.slices().matching("org.slim4j.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void everyLayerHasClasses() {
        for (String l : LAYERS) {
            assertTrue(MAIN.stream().anyMatch(c -> layer(c) == LAYERS.indexOf(l)), "layer '" + l + "' is empty: drop it from LAYERS");
        }
    }
}
