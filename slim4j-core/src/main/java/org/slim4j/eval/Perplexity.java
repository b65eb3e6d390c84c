package org.slim4j.eval;

import java.util.Locale;
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

    public static Result run(CausalLM model, Chunks chunks) {
        int vocab = model.vocabSize();
        double nll = 0, nll2 = 0;
        long count = 0;
        Progress progress = new Progress("perplexity", chunks.count());
        for (int c = 0; c < chunks.count(); c++) {
            float[] logits = chunks.scoredLogits(model, c);
            for (int pos = chunks.firstScored(); pos < chunks.nCtx() - 1; pos++) {
                double v = LogitMath.nll(logits, (pos - chunks.firstScored()) * vocab, vocab, chunks.target(c, pos));
                nll += v;
                nll2 += v * v;
                count++;
            }
            progress.step(c + 1, String.format(Locale.ROOT, "ppl %.4f", Math.exp(nll / count)));
        }
        return finish(nll, nll2, count, chunks);
    }

    /** llama.cpp's estimate: the standard error of the mean NLL, carried to PPL by its derivative. */
    static Result finish(double nll, double nll2, long count, Chunks chunks) {
        double mean = nll / count;
        double var = nll2 / count - mean * mean;
        double ppl = Math.exp(mean);
        double err = var > 0 && count > 1 ? Math.sqrt(var / (count - 1)) * ppl : 0;
        return new Result(ppl, err, chunks.count(), chunks.nCtx(), count);
    }
}
