package org.slim4j.tensor.kernel;

import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/** A float32 weight in 16-column panels, read in place. */
public final class F32Panels implements PanelWeight {
    private final int out, in;
    private final float[] panels;

    private F32Panels(int out, int in, float[] panels) {
        this.out = out;
        this.in = in;
        this.panels = panels;
    }

    /** From any float-like weight [out, in] (F32, F16, BF16), decoded exactly. */
    public static F32Panels of(Tensor w) {
        int out = Math.toIntExact(w.rows()), in = Math.toIntExact(w.cols());
        PanelWeight.checkShape(out, in);
        float[] row = new float[in], p = new float[out * in];
        for (int r = 0; r < out; r++) {
            Dequant.row(w, r, row);
            int panel = r / WIDTH, c = r % WIDTH;
            for (int k = 0; k < in; k++) p[(panel * in + k) * WIDTH + c] = row[k];
        }
        return new F32Panels(out, in, p);
    }

    /** From a row-major [out, in] array. */
    public static F32Panels of(float[] w, int out, int in) {
        PanelWeight.checkShape(out, in);
        float[] p = new float[out * in];
        for (int r = 0; r < out; r++) {
            for (int k = 0; k < in; k++) p[((r / WIDTH) * in + k) * WIDTH + r % WIDTH] = w[r * in + k];
        }
        return new F32Panels(out, in, p);
    }

    @Override public int out() { return out; }

    @Override public int in() { return in; }

    @Override
    public float[] view(int p, int k0, int k1, float[] buf) {
        return panels;
    }

    @Override
    public int base(int p, int k0) {
        return (p * in + k0) * WIDTH;
    }

    @Override
    public long bytes() {
        return 4L * panels.length;
    }
}
