package org.slim4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.kernel.FactorPair;
import org.slim4j.tensor.kernel.MatMulF32;
import org.slim4j.tensor.kernel.NativeLinear;
import org.slim4j.tensor.kernel.Sparse24Matrix;

/**
 * Dense float32 (MatMulF32) vs 2:4 sparse vs factor pairs at the same shape, one thread, random weights. Variants
 * are timed in turn within each repetition so that load on a shared machine hits them alike; each timing is the
 * median over repetitions of the mean time per call.
 */
public final class SparseBench {
    private SparseBench() {}

    /** One variant at one shape and batch: median microseconds per call and speed relative to dense (> 1 = faster). */
    public record Row(int out, int in, int batch, String variant, double micros, double speedup) {}

    public static List<Row> run(int out, int in, int batch, int[] ranks, int reps, double targetMs) {
        Random rnd = new Random(1);
        float[] w = new float[out * in];
        boolean[] keep = new boolean[w.length];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i += 4) {
            int a = rnd.nextInt(4), b = (a + 1 + rnd.nextInt(3)) % 4;
            keep[i + a] = keep[i + b] = true;
        }
        float[] x = new float[batch * in], y = new float[batch * out];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dense = arena.allocate(4L * w.length, 64);
            MemorySegment.copy(w, 0, dense, Dequant.F32, 0, w.length);
            List<String> names = new ArrayList<>(List.of("dense f32", "2:4"));
            List<Runnable> runs = new ArrayList<>();
            runs.add(() -> MatMulF32.forward(dense, out, in, x, batch, y, false));
            Sparse24Matrix s = Sparse24Matrix.of(out, in, w, keep);
            runs.add(() -> s.forward(x, batch, y, false));
            for (int r : ranks) {
                NativeLinear f = new FactorPair(out, in, r, gaussian(rnd, out * r), gaussian(rnd, r * in));
                names.add("rank " + r);
                runs.add(() -> f.forward(x, batch, y, false));
            }
            int[] iters = new int[runs.size()];
            for (int v = 0; v < runs.size(); v++) iters[v] = calibrate(runs.get(v), targetMs);
            double[][] t = new double[runs.size()][reps];
            for (int rep = 0; rep < reps; rep++) {
                for (int v = 0; v < runs.size(); v++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < iters[v]; i++) runs.get(v).run();
                    t[v][rep] = (System.nanoTime() - t0) / 1e3 / iters[v];
                }
            }
            List<Row> rows = new ArrayList<>();
            double base = median(t[0]);
            for (int v = 0; v < runs.size(); v++) rows.add(new Row(out, in, batch, names.get(v), median(t[v]), base / median(t[v])));
            return rows;
        }
    }

    /** Warms the kernel up (JIT) and returns the calls that take about targetMs. */
    private static int calibrate(Runnable r, double targetMs) {
        // 200 calls: until C2 compiles them, Vector API kernels run as allocating fallbacks 100-1000x slower
        for (int i = 0; i < 200; i++) r.run();
        long t0 = System.nanoTime();
        int n = 0;
        while (System.nanoTime() - t0 < 20_000_000L) {
            r.run();
            n++;
        }
        double perCall = (System.nanoTime() - t0) / 1e6 / n;
        return Math.max(1, (int) (targetMs / perCall));
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
