package org.slim4j.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slim4j.eval.Chunks;
import org.slim4j.eval.KlDivergence;
import org.slim4j.eval.Perplexity;
import org.slim4j.model.Models;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.util.BadInputException;
import scala.Tuple2;

/**
 * Perplexity and KL divergence of a decoder over a text too long (or a model too slow) for one machine, with
 * llama.cpp's protocol ({@link Chunks}): the driver tokenizes the text and broadcasts the ids; the chunk numbers are
 * spread over {@code partitions} tasks; each task scores its chunks on its executor's model
 * ({@link ExecutorModels}, {@code threads} threads a task) and returns each chunk's sums
 * ({@link Perplexity.ChunkSums}, {@link KlDivergence.ChunkStats}); the driver adds them in chunk order, so the result
 * is the one {@link Perplexity#run} and {@link KlDivergence#run} give in one process, to the bit when the engine's
 * logits do not depend on its thread count.
 */
public final class DistributedEval {
    private DistributedEval() {}

    /** The chunks of {@code text} under {@code model}'s tokenizer, as {@code slim4j perplexity -c nCtx --chunks maxChunks} cuts them. */
    public static Chunks chunks(String model, String text, int nCtx, int maxChunks) {
        try (LlamaModel m = Models.decoder(ExecutorModels.resolve(model))) { // mapped, not copied: the driver only tokenizes
            if (nCtx < 4 || nCtx > m.contextLength()) {
                throw new BadInputException("nCtx", null, nCtx + " is outside 4.." + m.contextLength() + " (the model's context)");
            }
            int[] tokens = m.tokenizer().encode(text, false);
            if (tokens.length < nCtx) throw new BadInputException("text", "nCtx", "text has " + tokens.length + " tokens, fewer than one chunk of " + nCtx);
            return Chunks.of(tokens, nCtx, maxChunks, m.autoBos());
        }
    }

    /** Perplexity of {@code model} over {@code chunks}, scored on the cluster. */
    public static Perplexity.Result perplexity(SparkSession spark, String model, Chunks chunks, int partitions, int threads) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<int[]> b = sc.broadcast(chunks.tokens());
        int nCtx = chunks.nCtx(), count = chunks.count(), bos = chunks.bos();
        try {
            List<Tuple2<Integer, Perplexity.ChunkSums>> sums = sc.parallelize(indices(chunks), slices(chunks, partitions))
                    .mapPartitions(it -> {
                        FastLlama lm = task(ExecutorModels.decoder(model, threads));
                        Chunks ch = new Chunks(b.value(), nCtx, count, bos);
                        List<Tuple2<Integer, Perplexity.ChunkSums>> out = new ArrayList<>();
                        while (it.hasNext()) {
                            int c = it.next();
                            out.add(new Tuple2<>(c, Perplexity.scoreChunk(lm, ch, c)));
                        }
                        return out.iterator();
                    }).collect();
            Perplexity.ChunkSums total = Perplexity.ChunkSums.ZERO;
            for (Tuple2<Integer, Perplexity.ChunkSums> s : inOrder(sums)) total = total.plus(s._2());
            return Perplexity.finish(total, chunks);
        } finally {
            b.destroy();
        }
    }

    /**
     * KL divergence of {@code model}'s next-token distributions to {@code base}'s over {@code chunks}: both models run
     * on the executors, each chunk through both in the same task (the base's logits never cross the network).
     */
    public static KlDivergence.Result kld(SparkSession spark, String model, String base, Chunks chunks, int partitions, int threads) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<int[]> b = sc.broadcast(chunks.tokens());
        int nCtx = chunks.nCtx(), count = chunks.count(), bos = chunks.bos();
        try {
            List<Tuple2<Integer, KlDivergence.ChunkStats>> stats = sc.parallelize(indices(chunks), slices(chunks, partitions))
                    .mapPartitions(it -> {
                        FastLlama lm = task(ExecutorModels.decoder(model, threads));
                        FastLlama ref = task(ExecutorModels.decoder(base, threads));
                        if (ref.vocabSize() != lm.vocabSize()) {
                            throw new BadInputException(base, "vocab_size", ref.vocabSize() + " differs from the model's " + lm.vocabSize());
                        }
                        Chunks ch = new Chunks(b.value(), nCtx, count, bos);
                        List<Tuple2<Integer, KlDivergence.ChunkStats>> out = new ArrayList<>();
                        while (it.hasNext()) {
                            int c = it.next();
                            out.add(new Tuple2<>(c, KlDivergence.scoreChunk(lm, ch, c, ch.scoredLogits(ref, c))));
                        }
                        return out.iterator();
                    }).collect();
            List<KlDivergence.ChunkStats> ordered = new ArrayList<>();
            for (Tuple2<Integer, KlDivergence.ChunkStats> s : inOrder(stats)) ordered.add(s._2());
            return KlDivergence.finish(ordered);
        } finally {
            b.destroy();
        }
    }

    /** Closes the handle when its task ends, however it ends. */
    private static FastLlama task(FastLlama handle) {
        TaskContext t = TaskContext.get();
        if (t != null) t.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> handle.close());
        return handle;
    }

    private static List<Integer> indices(Chunks chunks) {
        return IntStream.range(0, chunks.count()).boxed().toList();
    }

    private static int slices(Chunks chunks, int partitions) {
        if (partitions <= 0) throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
        return Math.min(partitions, chunks.count());
    }

    private static <T> List<Tuple2<Integer, T>> inOrder(List<Tuple2<Integer, T>> l) {
        List<Tuple2<Integer, T>> s = new ArrayList<>(l);
        s.sort(Comparator.comparing(Tuple2::_1));
        for (int i = 0; i < s.size(); i++) {
            if (s.get(i)._1() != i) throw new IllegalStateException("chunk " + i + " missing from the results");
        }
        return s;
    }

}
