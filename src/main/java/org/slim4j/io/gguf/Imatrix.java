package org.slim4j.io.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An importance matrix as llama-imatrix collects it: for each weight tensor (GGUF name), the sum over calibration
 * tokens of x_j^2 for every input column j, and the token count; the importance is their ratio, the mean of x^2.
 * Tensors that share an input (attn_q/k/v, ffn_gate/up) get the same vector. {@code chunks} counts the calibration
 * chunks, as llama-imatrix reports it.
 */
public final class Imatrix {
    private final Map<String, double[]> sums = new LinkedHashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final String file;
    private final String dataset;
    private int chunks;

    /** @param file what quantize.imatrix.file records (the imatrix's name); @param dataset the calibration text's name */
    public Imatrix(String file, String dataset) {
        this.file = file;
        this.dataset = dataset;
    }

    /** Adds n input rows x[n, cols] seen by {@code tensor}. */
    public synchronized Imatrix add(String tensor, float[] x, int n, int cols) {
        double[] s = sums.computeIfAbsent(tensor, k -> new double[cols]);
        if (s.length != cols) throw new IllegalArgumentException(tensor + ": " + cols + " columns, earlier " + s.length);
        for (int i = 0; i < n; i++) for (int j = 0; j < cols; j++) s[j] += (double) x[i * cols + j] * x[i * cols + j];
        counts.merge(tensor, (long) n, Long::sum);
        return this;
    }

    public synchronized void addChunk() {
        chunks++;
    }

    public void setChunks(int n) {
        chunks = n;
    }

    /** mean x_j^2 for the tensor, or null when it was never seen (llama-quantize then quantizes it unweighted). */
    public float[] importance(String tensor) {
        double[] s = sums.get(tensor);
        if (s == null) return null;
        long n = Math.max(1, counts.get(tensor));
        float[] r = new float[s.length];
        for (int j = 0; j < s.length; j++) r[j] = (float) (s[j] / n);
        return r;
    }

    public Map<String, double[]> entries() {
        return Collections.unmodifiableMap(sums);
    }

    public String file() {
        return file;
    }

    public String dataset() {
        return dataset;
    }

    public int chunks() {
        return chunks;
    }
}
