package org.slim4j.eval;

import java.util.Locale;
import java.util.stream.IntStream;
import org.slim4j.model.CausalLM;
import org.slim4j.util.Progress;

/** Perplexity with llama.cpp's protocol and error estimate (see {@link Chunks}). */
public final class Perplexity {

    public record Result(double ppl, double error, int chunks, int nCtx, long scoredTokens) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "PPL = %.4f +/- %.5f (%d chunks of %d tokens, %d scored)",
                    ppl, error, chunks, nCtx, scoredTokens);
        }
    }

    private Perplexity() {}

    /**
     * One chunk's share of the estimate: the sum of its scored tokens' negative log-likelihoods, of their squares,
     * and their count. {@link #run} adds these chunk by chunk in chunk order; a distributed run (slim4j-spark) scores
     * chunks anywhere and adds them in the same order, so both give the same bits.
     */
    public record ChunkSums(double nll, double nll2, long count) implements java.io.Serializable {
        public static final ChunkSums ZERO = new ChunkSums(0, 0, 0);

        public ChunkSums plus(ChunkSums o) {
            return new ChunkSums(nll + o.nll, nll2 + o.nll2, count + o.count);
        }
    }

    public static Result run(CausalLM model, Chunks chunks) {
        ChunkSums total = ChunkSums.ZERO;
        Progress progress = new Progress("perplexity", chunks.count());
        float[] logits = new float[chunks.scoredPerChunk() * model.vocabSize()]; // one array for every chunk
        for (int c = 0; c < chunks.count(); c++) {
            total = total.plus(scoreChunk(model, chunks, c, logits));
            progress.step(c + 1, String.format(Locale.ROOT, "ppl %.4f", Math.exp(total.nll() / total.count())));
        }
        return finish(total, chunks);
    }

    /** Chunk {@code c} evaluated from scratch and its scored positions summed. */
    public static ChunkSums scoreChunk(CausalLM model, Chunks chunks, int c) {
        return scoreChunk(model, chunks, c, new float[chunks.scoredPerChunk() * model.vocabSize()]);
    }

    /** As {@link #scoreChunk(CausalLM, Chunks, int)}, the logits computed into {@code logits}. */
    public static ChunkSums scoreChunk(CausalLM model, Chunks chunks, int c, float[] logits) {
        int vocab = model.vocabSize();
        chunks.scoredLogits(model, c, logits);
        int first = chunks.firstScored(), n = chunks.scoredPerChunk();
        // positions are independent: their log-sum-exps on all cores, summed in position order (the same bits)
        double[] v = new double[n];
        IntStream.range(0, n).parallel().forEach(j -> v[j] = LogitMath.nll(logits, j * vocab, vocab, chunks.target(c, first + j)));
        double nll = 0, nll2 = 0;
        long count = 0;
        for (double x : v) {
            nll += x;
            nll2 += x * x;
            count++;
        }
        return new ChunkSums(nll, nll2, count);
    }

    /**
     * llama.cpp's estimate from the sums over all chunks: the standard error of the mean NLL, carried to PPL by its
     * derivative.
     */
    public static Result finish(ChunkSums total, Chunks chunks) {
        double mean = total.nll() / total.count();
        double var = total.nll2() / total.count() - mean * mean;
        double ppl = Math.exp(mean);
        double err = var > 0 && total.count() > 1 ? Math.sqrt(var / (total.count() - 1)) * ppl : 0;
        return new Result(ppl, err, chunks.count(), chunks.nCtx(), total.count());
    }
}
