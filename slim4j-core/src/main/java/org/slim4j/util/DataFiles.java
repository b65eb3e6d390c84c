package org.slim4j.util;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slim4j.util.BadInputException;

/**
 * Finds the evaluation data (STS-B, WikiText-2, ...) when no path is given: $SLIM4J_DATA, then ./data, then the
 * shared data folder beside the working directory or beside the slim4j checkout (../shared/data).
 */
public final class DataFiles {
    private DataFiles() {}

    public static Path find(String name) {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("SLIM4J_DATA");
        if (env != null && !env.isBlank()) dirs.add(Path.of(env));
        dirs.add(Path.of("data"));
        dirs.add(Path.of("..", "shared", "data"));
        String home = System.getProperty("slim4j.home");
        if (home != null) dirs.add(Path.of(home, "..", "shared", "data"));
        for (Path d : dirs) {
            Path p = d.resolve(name);
            if (Files.isRegularFile(p)) return p.toAbsolutePath().normalize();
        }
        throw new BadInputException(name, null, "not found in $SLIM4J_DATA, ./data or ../shared/data; pass its path");
    }
}
