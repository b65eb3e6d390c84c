package org.slim4j.spark;

import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.slim4j.util.BadInputException;

/**
 * The example job (spark-submit's {@code --class}): embeds a corpus and writes it as Parquet, the input's columns
 * with an {@code embedding} column added.
 *
 * <pre>
 * --input PATH       a text file (one text a line, column "text"), or Parquet/JSON/CSV with --format
 * --output PATH      the Parquet folder to write (must not exist: Spark writes to a temporary folder and commits)
 * --format F         text (default), parquet, json or csv (with a header line)
 * --column C         the text column of parquet/json/csv input (default: text)
 * --model M          all-minilm-l6-v2 (default), bge-small-en-v1.5, an .onnx file or a Hugging Face folder
 * --batch-size N     texts embedded together (default 64)
 * --max-length N     tokens a text at most (default 0: the model's maximum)
 * --threads N        threads a task (default 1; match spark.task.cpus)
 * --partitions N     repartition the input first (default: as read)
 * --output-type T    vector (default) or array
 * </pre>
 */
public final class EmbedCorpus {
    private EmbedCorpus() {}

    public static void main(String[] argv) {
        Args.main(() -> run(new Args(argv, Set.of("input", "output", "format", "column", "model", "batch-size",
                "max-length", "threads", "partitions", "output-type"))));
    }

    static void run(Args a) {
        String input = a.required("input"), output = a.required("output");
        if (input.equals(output)) throw new BadInputException(output, "--output", "is the input; write elsewhere");
        String format = a.get("format", "text").toLowerCase(Locale.ROOT);
        SparkSession spark = SparkSession.builder().appName("slim4j-embed").getOrCreate();
        try {
            Dataset<Row> df = switch (format) {
                case "text" -> spark.read().text(input).withColumnRenamed("value", "text");
                case "parquet" -> spark.read().parquet(input);
                case "json" -> spark.read().json(input);
                case "csv" -> spark.read().option("header", "true").csv(input);
                default -> throw new BadInputException("arguments", "--format", "'" + format + "' is not one of text, parquet, json, csv");
            };
            String column = format.equals("text") ? "text" : a.get("column", "text");
            if (!java.util.Arrays.asList(df.columns()).contains(column)) {
                throw new BadInputException(input, "--column", "'" + column + "' is not a column (columns: " + String.join(", ", df.columns()) + ")");
            }
            if (!df.schema().apply(column).dataType().equals(DataTypes.StringType)) {
                df = df.withColumn(column, df.col(column).cast(DataTypes.StringType));
            }
            int partitions = a.integer("partitions", 0, 1);
            if (partitions > 0) df = df.repartition(partitions);
            Slim4jEmbedder embedder = new Slim4jEmbedder().setInputCol(column).setModel(a.get("model", "all-minilm-l6-v2"))
                    .setBatchSize(a.integer("batch-size", 64, 1)).setMaxLength(a.integer("max-length", 0, 0))
                    .setThreads(a.integer("threads", 1, 1)).setOutputType(a.get("output-type", "vector"));
            long t0 = System.nanoTime();
            embedder.transform(df).write().parquet(output);
            double s = (System.nanoTime() - t0) / 1e9;
            long rows = spark.read().parquet(output).count();
            System.out.printf(Locale.ROOT, "embedded %d rows with %s in %.1f s (%.1f rows/s) -> %s%n",
                    rows, embedder.getModel(), s, rows / s, output);
        } catch (Exception e) { // Scala throws AnalysisException, a checked exception, undeclared
            if (e instanceof org.apache.spark.sql.AnalysisException ae) { // a missing input, an existing output
                throw new BadInputException("arguments", input + " -> " + output, ae.getSimpleMessage());
            }
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e);
        } finally {
            spark.stop();
        }
    }
}
