package org.slim4j.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.Slim4j;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;

/**
 * The transformer in local[2] against the in-process encoder: STS-B sentences spread over partitions and batches
 * (a batch size that does not divide a partition) give the vectors {@link Encoder#embed} gives in one call.
 */
class Slim4jEmbedderTest {
    static SparkSession spark;
    static List<String> sentences;
    static float[][] expected;

    @BeforeAll
    static void setUp() {
        spark = SparkTests.local(2);
        List<String> all = StsB.read(SparkTests.DATA.resolve("stsb-dev.tsv")).sentences();
        sentences = new ArrayList<>(all.subList(0, 300));
        try (Encoder in = Slim4j.loadEncoder("all-minilm-l6-v2")) {
            expected = in.embed(sentences);
        }
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    private static Dataset<Row> texts(int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) rows.add(RowFactory.create(i, sentences.get(i)));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    @Test
    void vectorsMatchTheInProcessEncoderOnStsB() {
        Dataset<Row> out = new Slim4jEmbedder().setInputCol("text").setOutputCol("emb").setBatchSize(24)
                .transform(texts(5));
        assertEquals(2, spark.sparkContext().defaultParallelism()); // local[2]: two tasks at once share the model
        List<Row> rows = out.collectAsList();
        assertEquals(sentences.size(), rows.size());
        double worst = 0;
        for (Row r : rows) {
            int id = r.getInt(0);
            assertEquals(sentences.get(id), r.getString(1));
            Vector v = (Vector) r.get(2);
            assertEquals(384, v.size());
            for (int j = 0; j < v.size(); j++) worst = Math.max(worst, Math.abs(v.apply(j) - expected[id][j]));
        }
        assertTrue(worst <= 1e-5, "largest difference to the in-process vectors " + worst);
    }

    @Test
    void arrayOutputNullTextsAndTwoThreadsATask() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) rows.add(RowFactory.create(i, i % 7 == 3 ? null : sentences.get(i)));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        Dataset<Row> out = new Slim4jEmbedder().setInputCol("text").setOutputType("array").setBatchSize(16).setThreads(2)
                .transform(spark.createDataFrame(rows, schema).repartition(3));
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), out.schema().apply("embedding").dataType());
        for (Row r : out.collectAsList()) {
            int id = r.getInt(0);
            if (id % 7 == 3) {
                assertTrue(r.isNullAt(2), "null text, null embedding");
                continue;
            }
            List<Float> v = r.getList(2);
            for (int j = 0; j < v.size(); j++) assertEquals(expected[id][j], v.get(j), 1e-5, "row " + id + " dim " + j);
        }
    }

    @Test
    void maxLengthCutsTexts() {
        String longText = String.join(" ", sentences.subList(0, 40));
        List<Row> rows = List.of(RowFactory.create(0, longText));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        Row r = new Slim4jEmbedder().setInputCol("text").setMaxLength(16).setOutputType("array")
                .transform(spark.createDataFrame(rows, schema)).first();
        float[] cut;
        try (Encoder in = new org.slim4j.model.bert.FastBert(org.slim4j.model.Models.encoder("all-minilm-l6-v2"), 1, 16)) {
            cut = in.embed(List.of(longText))[0];
        }
        List<Float> v = r.getList(2);
        for (int j = 0; j < cut.length; j++) assertEquals(cut[j], v.get(j), 1e-5);
        try (Encoder full = Slim4j.loadEncoder("all-minilm-l6-v2")) {
            assertNotEquals(full.embed(List.of(longText))[0][0], v.get(0), 1e-4, "16 tokens differ from the whole text");
        }
    }

    @Test
    void savedInAPipelineAndLoadedBack(@TempDir Path dir) throws Exception {
        Slim4jEmbedder e = new Slim4jEmbedder().setInputCol("text").setOutputCol("v").setBatchSize(7).setMaxLength(128);
        PipelineModel m = new Pipeline().setStages(new PipelineStage[] {e}).fit(texts(2));
        m.write().overwrite().save(dir.resolve("p").toString());
        PipelineModel back = PipelineModel.load(dir.resolve("p").toString());
        Slim4jEmbedder e2 = (Slim4jEmbedder) back.stages()[0];
        assertEquals(7, e2.getBatchSize());
        assertEquals(128, e2.getMaxLength());
        assertEquals("v", e2.getOutputCol());
        assertEquals(sentences.size(), back.transform(texts(2)).filter("v is not null").count());
        assertTrue(Files.isDirectory(dir.resolve("p")));
    }

    @Test
    void badConfigurationIsOneClearError() {
        Dataset<Row> df = texts(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Slim4jEmbedder().setInputCol("txt").transform(df));
        assertTrue(e.getMessage().contains("inputCol 'txt' is not a column"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Slim4jEmbedder().setInputCol("id").transform(df));
        assertTrue(e.getMessage().contains("is int, not string"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Slim4jEmbedder().setBatchSize(0));
        assertTrue(e.getMessage().contains("batchSize"), e.getMessage());
        Exception missing = assertThrows(Exception.class, () -> new Slim4jEmbedder().setInputCol("text")
                .setModel("/no/such/model.onnx").transform(df).count());
        assertTrue(String.valueOf(rootMessage(missing)).contains("/no/such/model.onnx"), rootMessage(missing));
    }

    private static String rootMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) sb.append(c.getMessage()).append(" | ");
        return sb.toString();
    }
}
