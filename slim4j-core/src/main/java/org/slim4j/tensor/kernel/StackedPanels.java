package org.slim4j.tensor.kernel;

/** Several weights with the same input, their outputs side by side (Q, K and V as one [3a, in] product). */
public final class StackedPanels implements PanelWeight {
    private final PanelWeight[] parts;
    private final int[] firstPanel;
    private final int out, in;

    /** The stacked weights, in order. */
    public java.util.List<PanelWeight> parts() {
        return java.util.List.of(parts);
    }

    public StackedPanels(PanelWeight... parts) {
        this.parts = parts.clone();
        firstPanel = new int[parts.length + 1];
        int o = 0;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].in() != parts[0].in()) throw new IllegalArgumentException("stacked weights need the same input width");
            firstPanel[i] = o / WIDTH;
            o += parts[i].out();
        }
        firstPanel[parts.length] = o / WIDTH;
        out = o;
        in = parts[0].in();
    }

    private int part(int p) {
        int i = 0;
        while (p >= firstPanel[i + 1]) i++;
        return i;
    }

    @Override public int out() { return out; }

    @Override public int in() { return in; }

    @Override
    public float[] view(int p, int k0, int k1, float[] buf) {
        int i = part(p);
        return parts[i].view(p - firstPanel[i], k0, k1, buf);
    }

    @Override
    public int base(int p, int k0) {
        int i = part(p);
        return parts[i].base(p - firstPanel[i], k0);
    }

    @Override
    public boolean decodes() {
        for (PanelWeight w : parts) if (w.decodes()) return true;
        return false;
    }

    @Override
    public long bytes() {
        long b = 0;
        for (PanelWeight w : parts) b += w.bytes();
        return b;
    }
}
