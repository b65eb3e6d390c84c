package org.slim4j.io.lossless;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;

/**
 * How a float type's bits split into the one byte that is entropy-coded (the exponent, where the information is
 * skewed) and the raw bytes that are stored as they are (sign and mantissa, close to uniform), and back. BF16: the
 * 8 exponent bits are coded, sign and the 7 mantissa bits make one raw byte (DFloat11's split); F32: the exponent is
 * coded, sign and 23 mantissa bits make three raw bytes; F16: the high byte (sign, the 5 exponent bits, 2 mantissa
 * bits) is coded and the low byte raw (ZipNN's byte grouping: the 5-bit exponent does not fill a byte, and coding
 * the sign and two near-uniform bits with it costs next to nothing). Raw bytes are stored plane by plane (all
 * elements' first raw byte, then all second ones) so that merging reads each plane in long words.
 */
enum FloatFields {
    BF16(DType.BF16),
    F16(DType.F16),
    F32(DType.F32);

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** The low byte of each 16-bit or 32-bit lane of a long: where {@link Long#expand} puts a value's bytes. */
    private static final long LANES16 = 0x00FF00FF00FF00FFL, LANES32 = 0x000000FF000000FFL;

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
     * coded bytes from syms[0, n), raw planes from {@code raw} (plane p of element i at p * elements + i), through
     * {@code rawBuf} (n x planes bytes) and {@code outBuf} (n x element bytes), each copied in bulk. Eight values a step
     * in long words (SWAR: each byte spread to its value's lane by {@link Long#expand}, pdep): 2.5-5 GB/s of BF16 once
     * compiled, and, unlike the Vector API, fast before C2 has compiled it, which is all a load gets (the Vector API
     * merge ran at 5-10 GB/s warm but took 3.4 s for its first 50 chunks, interpreted).
     */
    void merge(byte[] syms, MemorySegment raw, long elements, long from, int n, MemorySegment out, byte[] rawBuf, byte[] outBuf) {
        for (int p = 0; p < planes; p++) MemorySegment.copy(raw, ValueLayout.JAVA_BYTE, p * elements + from, rawBuf, p * n, n);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long e = (long) LONGS.get(syms, i), r0 = (long) LONGS.get(rawBuf, i);
            switch (this) {
                case BF16 -> {
                    long e0 = Long.expand(e, LANES16), e1 = Long.expand(e >>> 32, LANES16);
                    long x0 = Long.expand(r0, LANES16), x1 = Long.expand(r0 >>> 32, LANES16);
                    LONGS.set(outBuf, 2 * i, e0 << 7 | x0 & 0x007F007F007F007FL | (x0 & 0x0080008000800080L) << 8);
                    LONGS.set(outBuf, 2 * i + 8, e1 << 7 | x1 & 0x007F007F007F007FL | (x1 & 0x0080008000800080L) << 8);
                }
                case F16 -> {
                    LONGS.set(outBuf, 2 * i, Long.expand(e, LANES16) << 8 | Long.expand(r0, LANES16));
                    LONGS.set(outBuf, 2 * i + 8, Long.expand(e >>> 32, LANES16) << 8 | Long.expand(r0 >>> 32, LANES16));
                }
                case F32 -> {
                    long r1 = (long) LONGS.get(rawBuf, n + i), r2 = (long) LONGS.get(rawBuf, 2 * n + i);
                    for (int k = 0; k < 4; k++) {
                        int sh = 16 * k;
                        long ek = Long.expand(e >>> sh, LANES32), a = Long.expand(r0 >>> sh, LANES32), b = Long.expand(r1 >>> sh, LANES32),
                                c = Long.expand(r2 >>> sh, LANES32);
                        LONGS.set(outBuf, 4 * i + 8 * k, (c & 0x0000008000000080L) << 24 | ek << 23 | (c & 0x0000007F0000007FL) << 16 | b << 8 | a);
                    }
                }
            }
        }
        for (; i < n; i++) {
            int v = value(syms[i] & 0xFF, rawBuf[i] & 0xFF, planes > 1 ? rawBuf[n + i] & 0xFF : 0, planes > 2 ? rawBuf[2 * n + i] & 0xFF : 0);
            for (int b = 0; b < type.blockBytes; b++) outBuf[type.blockBytes * i + b] = (byte) (v >>> (8 * b));
        }
        MemorySegment.copy(outBuf, 0, out, ValueLayout.JAVA_BYTE, from * type.blockBytes, n * type.blockBytes);
    }
}
