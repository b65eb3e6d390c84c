package org.slim4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that embeds a text column with a slim4j encoder: each partition is read in batches of
 * {@code batchSize} texts, each batch embedded at once (pooled, L2-normalised, the vectors
 * {@link org.slim4j.model.Encoder#embed} gives in-process), the rows passed through with the embedding appended. The
 * model is loaded once per executor JVM and shared by its tasks ({@link ExecutorModels}); each task embeds with
 * {@code threads} threads of its own, so an executor with {@code spark.executor.cores} = C and
 * {@code spark.task.cpus} = T should run with threads = T. A null text gives a null embedding.
 *
 * <pre>{@code
 * Dataset<Row> out = new Slim4jEmbedder().setInputCol("text").setOutputCol("embedding")
 *         .setModel("all-minilm-l6-v2").transform(df);
 * }</pre>
 */
public final class Slim4jEmbedder extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    private static final DefaultParamsReadable<Slim4jEmbedder> READER = new DefaultParamsReadable<>() {};

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> model;
    private final Param<String> outputType;
    private final IntParam batchSize;
    private final IntParam maxLength;
    private final IntParam threads;

    public Slim4jEmbedder() {
        this(Identifiable.randomUID("slim4jEmbedder"));
    }

    public Slim4jEmbedder(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "the text column (string)");
        outputCol = new Param<>(this, "outputCol", "the embedding column to add");
        model = new Param<>(this, "model", "the encoder: a built-in name (all-minilm-l6-v2, bge-small-en-v1.5), an .onnx file "
                + "with its tokenizer, or a Hugging Face BERT folder; a path every executor can read, or a file shipped with --files");
        outputType = new Param<>(this, "outputType", "'vector' (an ML Vector, for ML pipelines) or 'array' (array<float>, half the bytes)",
                ParamValidators.inArray(new String[] {"vector", "array"}));
        batchSize = new IntParam(this, "batchSize", "texts embedded together (> 0)", ParamValidators.gt(0));
        maxLength = new IntParam(this, "maxLength", "tokens per text at most, longer texts cut (0: the model's maximum)", ParamValidators.gtEq(0));
        threads = new IntParam(this, "threads", "threads each task embeds with (> 0; match spark.task.cpus)", ParamValidators.gt(0));
        setDefault(outputCol, "embedding");
        setDefault(model, "all-minilm-l6-v2");
        setDefault(outputType, "vector");
        setDefault(batchSize, 64);
        setDefault(maxLength, 0);
        setDefault(threads, 1);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> model() { return model; }
    public Param<String> outputType() { return outputType; }
    public IntParam batchSize() { return batchSize; }
    public IntParam maxLength() { return maxLength; }
    public IntParam threads() { return threads; }

    public Slim4jEmbedder setInputCol(String v) { set(inputCol, v); return this; }
    public Slim4jEmbedder setOutputCol(String v) { set(outputCol, v); return this; }
    public Slim4jEmbedder setModel(String v) { set(model, v); return this; }
    public Slim4jEmbedder setOutputType(String v) { set(outputType, v); return this; }
    public Slim4jEmbedder setBatchSize(int v) { set(batchSize, v); return this; }
    public Slim4jEmbedder setMaxLength(int v) { set(maxLength, v); return this; }
    public Slim4jEmbedder setThreads(int v) { set(threads, v); return this; }

    public String getInputCol() { return $(inputCol); }
    public String getOutputCol() { return $(outputCol); }
    public String getModel() { return $(model); }
    public String getOutputType() { return $(outputType); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public int getMaxLength() { return (Integer) $(maxLength); }
    public int getThreads() { return (Integer) $(threads); }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(inputCol)) throw new IllegalArgumentException("Slim4jEmbedder: inputCol is not set");
        String in = getInputCol(), out = getOutputCol();
        if (!Arrays.asList(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException("Slim4jEmbedder: inputCol '" + in + "' is not a column of " + schema.simpleString());
        }
        DataType t = schema.apply(in).dataType();
        if (!t.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("Slim4jEmbedder: inputCol '" + in + "' is " + t.simpleString() + ", not string");
        }
        if (Arrays.asList(schema.fieldNames()).contains(out)) {
            throw new IllegalArgumentException("Slim4jEmbedder: outputCol '" + out + "' is already a column");
        }
        DataType vt = getOutputType().equals("vector") ? SQLDataTypes.VectorType() : DataTypes.createArrayType(DataTypes.FloatType, false);
        return schema.add(new StructField(out, vt, true, org.apache.spark.sql.types.Metadata.empty()));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        int col = df.schema().fieldIndex(getInputCol());
        Embed f = new Embed(getModel(), col, getBatchSize(), getMaxLength(), getThreads(), getOutputType().equals("vector"));
        return df.mapPartitions(f, Encoders.row(outSchema));
    }

    @Override
    public Slim4jEmbedder copy(ParamMap extra) {
        return (Slim4jEmbedder) defaultCopy(extra);
    }

    public static MLReader<Slim4jEmbedder> read() {
        return READER.read();
    }

    public static Slim4jEmbedder load(String path) {
        return READER.load(path);
    }

    /** What runs on the executors: a partition's rows in batches, each batch embedded by the executor's model. */
    record Embed(String model, int col, int batchSize, int maxLength, int threads, boolean vector)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            ExecutorModels.EncoderHandle enc = ExecutorModels.encoder(model, threads, maxLength);
            TaskContext task = TaskContext.get();
            if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) t -> enc.close()); // also when the iterator is left unread
            return new Batches(rows, enc, this);
        }
    }

    /** Rows out as batches fill: at most one batch of rows and vectors held at a time. */
    private static final class Batches implements Iterator<Row> {
        private final Iterator<Row> in;
        private final ExecutorModels.EncoderHandle enc;
        private final Embed f;
        private final List<Row> rows = new ArrayList<>();
        private float[][] vectors;
        private int next;

        Batches(Iterator<Row> in, ExecutorModels.EncoderHandle enc, Embed f) {
            this.in = in;
            this.enc = enc;
            this.f = f;
        }

        @Override
        public boolean hasNext() {
            if (next < rows.size()) return true;
            if (!in.hasNext()) return false;
            rows.clear();
            next = 0;
            List<String> texts = new ArrayList<>(f.batchSize());
            while (rows.size() < f.batchSize() && in.hasNext()) {
                Row r = in.next();
                rows.add(r);
                if (!r.isNullAt(f.col())) texts.add(r.getString(f.col()));
            }
            vectors = texts.isEmpty() ? new float[0][] : enc.embed(texts);
            return true;
        }

        private int vectorIndex; // the next non-null text's vector

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            if (next == 0) vectorIndex = 0;
            Row r = rows.get(next++);
            Object emb = null;
            if (!r.isNullAt(f.col())) {
                float[] v = vectors[vectorIndex++];
                if (f.vector()) {
                    double[] d = new double[v.length];
                    for (int i = 0; i < v.length; i++) d[i] = v[i];
                    emb = Vectors.dense(d);
                } else {
                    Float[] boxed = new Float[v.length];
                    for (int i = 0; i < v.length; i++) boxed[i] = v[i];
                    emb = boxed;
                }
            }
            Object[] values = new Object[r.length() + 1];
            for (int i = 0; i < r.length(); i++) values[i] = r.get(i);
            values[r.length()] = emb;
            return RowFactory.create(values);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Slim4jEmbedder(uid=%s, model=%s)", uid, getModel());
    }
}
