package org.slim4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slim4j.Slim4j;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;
import org.slim4j.tensor.kernel.EngineOptions;

/**
 * How the transformer scales with executor threads, on this machine: STS-B sentences embedded in local[1] and
 * local[2] (one task a thread, one thread a task), alternated and repeated, each after a warm-up run, with the
 * in-process encoder at 1 and 2 threads in the same run as the anchor.
 *
 * <pre>
 * --stsb PATH   stsb-train.tsv (default ../../shared/data/stsb-train.tsv)
 * --rows N      sentences (default 2000)     --repeats N   rounds (default 3)
 * --partitions N (default 8)                 --batch-size N (default 64)     --model M
 * </pre>
 */
public final class EmbedBench {
    private EmbedBench() {}

    public static void main(String[] argv) {
        Args.main(() -> run(new Args(argv, Set.of("stsb", "rows", "repeats", "partitions", "batch-size", "model"))));
    }

    static void run(Args a) {
        Path tsv = Path.of(a.get("stsb", SparkTests_SHARED + "/data/stsb-train.tsv"));
        List<String> all = StsB.read(tsv).sentences();
        List<String> texts = new ArrayList<>(all.subList(0, Math.min(all.size(), a.integer("rows", 2000, 1))));
        int repeats = a.integer("repeats", 3, 1), partitions = a.integer("partitions", 8, 1), batch = a.integer("batch-size", 64, 1);
        String model = a.get("model", "all-minilm-l6-v2");
        long tokens = 0;
        try (Encoder e = Slim4j.loadEncoder(model)) {
            for (String t : texts) tokens += e.tokenizer().encode(t, true).length;
        }
        System.out.printf(Locale.ROOT, "%d STS-B sentences (%d tokens with specials), model %s, %d partitions, batch %d, %d cores%n",
                texts.size(), tokens, model, partitions, batch, Runtime.getRuntime().availableProcessors());
        String[] engines = {"spark local[1]", "spark local[2]", "in-process 1 thread", "in-process 2 threads"};
        double[][] rate = new double[engines.length][repeats];
        for (int r = 0; r < repeats; r++) {
            for (int k = 0; k < engines.length; k++) {
                int threads = k % 2 + 1;
                rate[k][r] = k < 2 ? spark(threads, texts, partitions, batch, model) : inProcess(threads, texts, batch, model);
                System.out.printf(Locale.ROOT, "round %d  %-22s %8.1f rows/s%n", r + 1, engines[k], rate[k][r]);
            }
        }
        System.out.println("rows/s over " + repeats + " rounds: median [min .. max]");
        for (int k = 0; k < engines.length; k++) {
            double[] s = rate[k].clone();
            Arrays.sort(s);
            System.out.printf(Locale.ROOT, "%-22s %8.1f [%.1f .. %.1f]%n", engines[k], s[s.length / 2], s[0], s[s.length - 1]);
        }
    }

    private static final String SparkTests_SHARED = Path.of("..", "..", "shared").toFile().isDirectory() ? "../../shared" : "../shared";

    /** Rows/s of one timed run in a fresh local[threads] session, after one untimed run (model load, JIT). */
    private static double spark(int threads, List<String> texts, int partitions, int batch, String model) {
        SparkSession spark = SparkSession.builder().master("local[" + threads + "]").appName("slim4j-embed-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) rows.add(RowFactory.create(i, texts.get(i)));
            StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
            Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(partitions).cache();
            df.count();
            Slim4jEmbedder e = new Slim4jEmbedder().setInputCol("text").setModel(model).setBatchSize(batch).setThreads(1);
            e.transform(df.limit(Math.min(200, texts.size()))).write().format("noop").mode("overwrite").save();
            long t0 = System.nanoTime();
            e.transform(df).write().format("noop").mode("overwrite").save();
            return texts.size() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            spark.stop();
        }
    }

    /** Rows/s of the in-process encoder over the same texts in the same batches, after one untimed batch. */
    private static double inProcess(int threads, List<String> texts, int batch, String model) {
        try (Encoder e = Slim4j.loadEncoder(model, EngineOptions.defaults().withThreads(threads))) {
            e.embed(texts.subList(0, Math.min(batch, texts.size())));
            long t0 = System.nanoTime();
            for (int i = 0; i < texts.size(); i += batch) e.embed(texts.subList(i, Math.min(texts.size(), i + batch)));
            return texts.size() / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
