package org.slim4j.io.lossless;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;

/**
 * How a float type's bits split into the one byte that is entropy-coded (the exponent, where the information is
 * skewed) and the raw bytes that are stored as they are (sign and mantissa, close to uniform), and back. BF16: the
 * 8 exponent bits are coded, sign and the 7 mantissa bits make one raw byte (DFloat11's split); F32: the exponent is
 * coded, sign and 23 mantissa bits make three raw bytes; F16: the high byte (sign, the 5 exponent bits, 2 mantissa
 * bits) is coded and the low byte raw (ZipNN's byte grouping: the 5-bit exponent does not fill a byte, and coding
 * the sign and two near-uniform bits with it costs next to nothing). Raw bytes are stored plane by plane (all
 * elements' first raw byte, then all second ones) so that merging runs on vectors.
 */
enum FloatFields {
    BF16(DType.BF16),
    F16(DType.F16),
    F32(DType.F32);

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Short> SH = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> SH_B = VectorSpecies.of(byte.class, VectorShape.forBitSize(SH.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> IN = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> IN_B = VectorSpecies.of(byte.class, VectorShape.forBitSize(IN.vectorBitSize() / 4));

    final DType type;
    /** Raw bytes per element: the element's bytes less the coded one. */
    final int planes;

    FloatFields(DType type) {
        this.type = type;
        this.planes = type.blockBytes - 1;
    }

    /** The fields of a type that is coded, or null. */
    static FloatFields of(DType t) {
        return switch (t) {
            case BF16 -> BF16;
            case F16 -> F16;
            case F32 -> F32;
            default -> null;
        };
    }

    /** Element i's value bits (zero-extended) from a tensor's little-endian bytes. */
    int bits(MemorySegment src, long i) {
        return this == F32 ? src.get(Dequant.I32, 4 * i) : src.get(Dequant.I16, 2 * i) & 0xFFFF;
    }

    /** The coded byte of a value. */
    int symbol(int v) {
        return switch (this) {
            case BF16 -> v >>> 7 & 0xFF;
            case F16 -> v >>> 8;
            case F32 -> v >>> 23 & 0xFF;
        };
    }

    /** Raw byte {@code p} of a value. */
    int raw(int v, int p) {
        return switch (this) {
            case BF16 -> v >>> 8 & 0x80 | v & 0x7F;
            case F16 -> v & 0xFF;
            case F32 -> p < 2 ? v >>> (8 * p) & 0xFF : v >>> 24 & 0x80 | v >>> 16 & 0x7F;
        };
    }

    /** A value from its coded byte and raw bytes. */
    int value(int sym, int r0, int r1, int r2) {
        return switch (this) {
            case BF16 -> (r0 & 0x80) << 8 | sym << 7 | r0 & 0x7F;
            case F16 -> sym << 8 | r0;
            case F32 -> (r2 & 0x80) << 24 | sym << 23 | (r2 & 0x7F) << 16 | r1 << 8 | r0;
        };
    }

    /**
     * Writes elements [from, from + n) of a tensor of {@code elements} values into {@code out} (the tensor's bytes):
     * coded bytes from syms[0, n), raw planes from {@code raw} (plane p of element i at p * elements + i).
     */
    void merge(byte[] syms, MemorySegment raw, long elements, long from, int n, MemorySegment out) {
        int i = 0;
        switch (this) {
            case BF16 -> {
                for (int step = SH.length(); i + step <= n; i += step) {
                    ShortVector e = (ShortVector) ByteVector.fromArray(SH_B, syms, i).convertShape(VectorOperators.B2S, SH, 0);
                    ShortVector r = (ShortVector) ByteVector.fromMemorySegment(SH_B, raw, from + i, LE).convertShape(VectorOperators.B2S, SH, 0);
                    // r sign-extends, so bit 15 carries the sign bit 7 held
                    e.and((short) 0xFF).lanewise(VectorOperators.LSHL, 7).or(r.and((short) 0x807F))
                            .intoMemorySegment(out, 2 * (from + i), LE);
                }
            }
            case F16 -> {
                for (int step = SH.length(); i + step <= n; i += step) {
                    ShortVector e = (ShortVector) ByteVector.fromArray(SH_B, syms, i).convertShape(VectorOperators.B2S, SH, 0);
                    ShortVector r = (ShortVector) ByteVector.fromMemorySegment(SH_B, raw, from + i, LE).convertShape(VectorOperators.B2S, SH, 0);
                    e.lanewise(VectorOperators.LSHL, 8).or(r.and((short) 0xFF)).intoMemorySegment(out, 2 * (from + i), LE);
                }
            }
            case F32 -> {
                for (int step = IN.length(); i + step <= n; i += step) {
                    IntVector e = (IntVector) ByteVector.fromArray(IN_B, syms, i).convertShape(VectorOperators.B2I, IN, 0);
                    IntVector r0 = (IntVector) ByteVector.fromMemorySegment(IN_B, raw, from + i, LE).convertShape(VectorOperators.B2I, IN, 0);
                    IntVector r1 = (IntVector) ByteVector.fromMemorySegment(IN_B, raw, elements + from + i, LE).convertShape(VectorOperators.B2I, IN, 0);
                    IntVector r2 = (IntVector) ByteVector.fromMemorySegment(IN_B, raw, 2 * elements + from + i, LE).convertShape(VectorOperators.B2I, IN, 0);
                    e.and(0xFF).lanewise(VectorOperators.LSHL, 23)
                            .or(r0.and(0xFF)).or(r1.and(0xFF).lanewise(VectorOperators.LSHL, 8))
                            .or(r2.and(0x7F).lanewise(VectorOperators.LSHL, 16)).or(r2.lanewise(VectorOperators.LSHL, 24).and(0x80000000))
                            .intoMemorySegment(out, 4 * (from + i), LE);
                }
            }
        }
        for (; i < n; i++) {
            long k = from + i;
            int r0 = raw.get(java.lang.foreign.ValueLayout.JAVA_BYTE, k) & 0xFF;
            int r1 = planes > 1 ? raw.get(java.lang.foreign.ValueLayout.JAVA_BYTE, elements + k) & 0xFF : 0;
            int r2 = planes > 2 ? raw.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 * elements + k) & 0xFF : 0;
            int v = value(syms[i] & 0xFF, r0, r1, r2);
            if (this == F32) out.set(Dequant.I32, 4 * k, v);
            else out.set(Dequant.I16, 2 * k, (short) v);
        }
    }
}
