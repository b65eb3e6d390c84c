package org.slim4j.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.Slim4j;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;
import org.slim4j.util.BadInputException;

/** The example job as spark-submit runs it (its own session, here local[2]): a text file in, Parquet out. */
class EmbedCorpusTest {
    @AfterEach
    void clear() {
        System.clearProperty("spark.master");
    }

    @Test
    void textFileToParquetWithTheInProcessVectors(@TempDir Path dir) throws Exception {
        List<String> texts = StsB.read(SparkTests.DATA.resolve("stsb-dev.tsv")).sentences().subList(0, 60);
        Path in = Files.write(dir.resolve("corpus.txt"), texts);
        String out = dir.resolve("emb").toString();
        System.setProperty("spark.master", "local[2]");
        String[] args = {"--input", in.toString(), "--output", out, "--partitions", "3", "--batch-size", "16"};
        EmbedCorpus.run(new Args(args, java.util.Set.of("input", "output", "partitions", "batch-size")));
        float[][] expected;
        try (Encoder e = Slim4j.loadEncoder("all-minilm-l6-v2")) {
            expected = e.embed(texts);
        }
        SparkSession spark = SparkTests.local(2);
        try {
            List<Row> rows = spark.read().parquet(out).collectAsList();
            assertEquals(texts.size(), rows.size());
            for (Row r : rows) {
                int i = texts.indexOf(r.getString(0));
                Vector v = (Vector) r.get(1);
                for (int j = 0; j < v.size(); j++) assertEquals(expected[i][j], v.apply(j), 1e-5);
            }
            // the output exists now: writing it again is one line naming it, not a stack trace
            var e = assertThrows(BadInputException.class, () -> EmbedCorpus.run(new Args(args, java.util.Set.of("input", "output", "partitions", "batch-size"))));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        } finally {
            spark.stop();
        }
    }

    @Test
    void badArgumentsNameTheOption() {
        var e = assertThrows(BadInputException.class, () -> new Args(new String[] {"--inptu", "x"}, java.util.Set.of("input")));
        assertTrue(e.getMessage().contains("--inptu"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> EmbedCorpus.run(new Args(new String[] {"--input", "a"}, java.util.Set.of("input", "output"))));
        assertTrue(e.getMessage().contains("--output"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> new Args(new String[] {"--threads", "two"}, java.util.Set.of("threads")).integer("threads", 1, 1));
        assertTrue(e.getMessage().contains("'two' is not a whole number"), e.getMessage());
    }
}
