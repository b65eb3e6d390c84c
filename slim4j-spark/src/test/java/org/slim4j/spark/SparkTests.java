package org.slim4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** The local Spark session the tests share, and the paths into the repository's shared data. */
final class SparkTests {
    /** ../shared from the repository root, where the module sits one level down. */
    static final Path SHARED = Files.isDirectory(Path.of("..", "..", "shared")) ? Path.of("..", "..", "shared").toAbsolutePath().normalize()
            : Path.of("..", "shared").toAbsolutePath().normalize();
    static final Path DATA = SHARED.resolve("data");
    static final Path FIXTURES = SHARED.resolve("fixtures");

    private SparkTests() {}

    /** Two executor threads in this JVM, no UI, few shuffle partitions: what a laptop or CI runs. */
    static SparkSession local(int threads) {
        return SparkSession.builder().master("local[" + threads + "]").appName("slim4j-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }
}
