package org.slim4j.model.llama;

import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits. {@link #greedy()} takes the argmax; {@link #random} applies temperature,
 * then top-k, then top-p (nucleus) and draws from what is left with a seeded generator, so runs are reproducible.
 * A sampler keeps scratch arrays sized to the vocabulary, so it allocates nothing per token; it is not thread-safe.
 */
public interface Sampler {

    int sample(float[] logits);

    static Sampler greedy() {
        return logits -> {
            int best = 0;
            for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        };
    }

    /**
     * @param temperature {@code <= 0} means greedy
     * @param topK        keep the k most likely tokens; {@code <= 0} keeps all
     * @param topP        keep the smallest set whose probability reaches p; {@code >= 1} keeps all
     */
    static Sampler random(double temperature, int topK, double topP, long seed) {
        if (temperature <= 0) return greedy();
        return new RandomSampler(temperature, topK, topP, new SplittableRandom(seed));
    }

    final class RandomSampler implements Sampler {
        private final double temperature;
        private final int topK;
        private final double topP;
        private final SplittableRandom rng;
        private float[] probs = new float[0];
        private int[] idx = new int[0];

        RandomSampler(double temperature, int topK, double topP, SplittableRandom rng) {
            this.temperature = temperature;
            this.topK = topK;
            this.topP = topP;
            this.rng = rng;
        }

        @Override
        public int sample(float[] logits) {
            int n = logits.length;
            if (probs.length != n) {
                probs = new float[n];
                idx = new int[n];
            }
            float max = Float.NEGATIVE_INFINITY;
            for (float l : logits) max = Math.max(max, l);
            for (int i = 0; i < n; i++) {
                probs[i] = (float) Math.exp((logits[i] - max) / temperature);
                idx[i] = i;
            }
            int m = n;
            boolean truncate = (topK > 0 && topK < n) || topP < 1;
            if (truncate) {
                // Order candidates by probability (descending) only as far as needed.
                m = topK > 0 && topK < n ? topK : n;
                partialSortDescending(m);
                if (topP < 1) {
                    double total = 0;
                    for (int i = 0; i < m; i++) total += probs[idx[i]];
                    double cum = 0;
                    for (int i = 0; i < m; i++) {
                        cum += probs[idx[i]];
                        if (cum >= topP * total) {
                            m = i + 1;
                            break;
                        }
                    }
                }
            }
            double mass = 0;
            for (int i = 0; i < m; i++) mass += probs[idx[i]];
            double r = rng.nextDouble() * mass;
            for (int i = 0; i < m; i++) {
                r -= probs[idx[i]];
                if (r < 0) return idx[i];
            }
            return idx[m - 1];
        }

        /** Puts the m largest probabilities first in idx, in descending order (heap select + heap sort). */
        private void partialSortDescending(int m) {
            int n = idx.length;
            // min-heap of the best m seen so far in idx[0..m)
            for (int i = m / 2 - 1; i >= 0; i--) siftDown(i, m);
            for (int i = m; i < n; i++) {
                if (probs[idx[i]] > probs[idx[0]]) {
                    int t = idx[0];
                    idx[0] = idx[i];
                    idx[i] = t;
                    siftDown(0, m);
                }
            }
            for (int end = m - 1; end > 0; end--) {
                int t = idx[0];
                idx[0] = idx[end];
                idx[end] = t;
                siftDown(0, end);
            }
        }

        private void siftDown(int i, int size) {
            while (true) {
                int l = 2 * i + 1, smallest = i;
                if (l < size && probs[idx[l]] < probs[idx[smallest]]) smallest = l;
                if (l + 1 < size && probs[idx[l + 1]] < probs[idx[smallest]]) smallest = l + 1;
                if (smallest == i) return;
                int t = idx[i];
                idx[i] = idx[smallest];
                idx[smallest] = t;
                i = smallest;
            }
        }
    }
}
