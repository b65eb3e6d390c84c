package org.slim4j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Integer weight codes with a scale and zero point per (output row, input group), weight = (q - zero) * scale, as
 * GPTQ/RTN checkpoints store them (compressed-tensors pack-quantized). Codes of 5 to 8 bits take a byte each; codes of
 * 2 to 4 bits take a nibble (two output columns, c and c + 8 of the panel, per byte), so a 4-bit weight streams half
 * the bytes of an 8-bit one. Decoding a panel chunk is a widening, an integer subtract, a convert and a multiply per 8
 * weights: w = float(q - z) * s, bit-for-bit the value a load-time dequantization gives.
 */
public final class IntPanels implements PanelWeight {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;

    private final int out, in, bits, groupsPerRow;
    private final boolean nibbles;
    private final byte[] codes;
    /** Per panel, per group: 16 scales, and 16 zero points (as the stored codes hold them). */
    private final float[] scale;
    private final int[] zero;
    /** Input row -> group (identity of row / width, or the checkpoint's act-order map). */
    private final int[] groupOf;

    private IntPanels(int out, int in, int bits, int groupsPerRow, byte[] codes, float[] scale, int[] zero, int[] groupOf) {
        this.out = out;
        this.in = in;
        this.bits = bits;
        this.groupsPerRow = groupsPerRow;
        this.nibbles = bits <= 4;
        this.codes = codes;
        this.scale = scale;
        this.zero = zero;
        this.groupOf = groupOf;
    }

    /**
     * q [out, in] codes in [-2^(bits-1), 2^(bits-1)); scales and zeros per (row, group): index row * groupsPerRow +
     * groupOf[k], or a single one when groupsPerRow is 0 (per tensor).
     */
    public static IntPanels of(int out, int in, int bits, int[] q, float[] scales, int[] zeros, int groupsPerRow, int[] groupOf) {
        PanelWeight.checkShape(out, in);
        if (bits < 2 || bits > 8) throw new IllegalArgumentException(bits + "-bit codes: panels take 2 to 8 bits");
        int off = 1 << (bits - 1);
        boolean nib = bits <= 4;
        int panels = out / WIDTH, g = Math.max(1, groupsPerRow);
        byte[] c = new byte[nib ? out * in / 2 : out * in];
        for (int r = 0; r < out; r++) {
            int p = r / WIDTH, col = r % WIDTH;
            for (int k = 0; k < in; k++) {
                int v = q[r * in + k];
                if (v < -off || v >= off) throw new IllegalArgumentException("code " + v + " out of " + bits + "-bit range at [" + r + ", " + k + "]");
                if (nib) {
                    int at = (p * in + k) * (WIDTH / 2) + col % 8;
                    c[at] |= (byte) ((v + off) << (col < 8 ? 0 : 4));
                } else {
                    c[(p * in + k) * WIDTH + col] = (byte) v;
                }
            }
        }
        // nibbles hold q + off, so their zero point moves by off as well
        int shift = nib ? off : 0;
        float[] sc = new float[panels * g * WIDTH];
        int[] zp = new int[panels * g * WIDTH];
        for (int r = 0; r < out; r++) {
            for (int j = 0; j < g; j++) {
                int idx = groupsPerRow == 0 ? 0 : r * groupsPerRow + j;
                int at = ((r / WIDTH) * g + j) * WIDTH + r % WIDTH;
                sc[at] = scales[idx];
                zp[at] = zeros[idx] + shift;
            }
        }
        return new IntPanels(out, in, bits, groupsPerRow, c, sc, zp, groupOf);
    }

    @Override public int out() { return out; }

    @Override public int in() { return in; }

    public int bits() {
        return bits;
    }

    @Override
    public boolean decodes() {
        return true;
    }

    @Override
    public int base(int p, int k0) {
        return 0;
    }

    @Override
    public long bytes() {
        return codes.length + 4L * scale.length + 4L * zero.length;
    }

    @Override
    public float[] view(int p, int k0, int k1, float[] buf) {
        int g = Math.max(1, groupsPerRow), last = -1;
        FloatVector s0 = null, s1 = null;
        IntVector z0 = null, z1 = null;
        for (int k = k0, o = 0; k < k1; k++, o += WIDTH) {
            int grp = groupsPerRow == 0 ? 0 : groupOf[k];
            if (grp != last) {
                int at = (p * g + grp) * WIDTH;
                s0 = FloatVector.fromArray(F, scale, at);
                s1 = FloatVector.fromArray(F, scale, at + 8);
                z0 = IntVector.fromArray(I, zero, at);
                z1 = IntVector.fromArray(I, zero, at + 8);
                last = grp;
            }
            IntVector lo, hi;
            if (nibbles) {
                IntVector v = (IntVector) ByteVector.fromArray(B8, codes, (p * in + k) * (WIDTH / 2)).convertShape(VectorOperators.B2I, I, 0);
                lo = v.and(0xf);
                hi = v.lanewise(VectorOperators.ASHR, 4).and(0xf);
            } else {
                int at = (p * in + k) * WIDTH;
                lo = (IntVector) ByteVector.fromArray(B8, codes, at).convertShape(VectorOperators.B2I, I, 0);
                hi = (IntVector) ByteVector.fromArray(B8, codes, at + 8).convertShape(VectorOperators.B2I, I, 0);
            }
            ((FloatVector) lo.sub(z0).convert(VectorOperators.I2F, 0)).mul(s0).intoArray(buf, o);
            ((FloatVector) hi.sub(z1).convert(VectorOperators.I2F, 0)).mul(s1).intoArray(buf, o + 8);
        }
        return buf;
    }

    /** Input row -> group for plain groups of {@code width} columns. */
    public static int[] contiguousGroups(int in, int width) {
        int[] g = new int[in];
        for (int k = 0; k < in; k++) g[k] = k / width;
        return g;
    }
}
