package org.slim4j.langchain4j;

import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only data folder beside the repository ({@code ../shared} from the repo root), found from this module. */
final class Shared {
    static final Path DIR = find();

    private Shared() {}

    private static Path find() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolve("shared");
            if (Files.isRegularFile(s.resolve("data/stsb-train.tsv"))) return s;
        }
        throw new IllegalStateException("no shared/data/stsb-train.tsv in " + Path.of("").toAbsolutePath() + " or a folder above it");
    }

    static Path data(String name) {
        return DIR.resolve("data").resolve(name);
    }
}
