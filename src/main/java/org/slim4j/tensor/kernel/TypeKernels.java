package org.slim4j.tensor.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * What the CPU kernels know of each weight type, in one table (ggml-cpu's type_traits_cpu): the fused
 * dequantize-and-dot on float activations, the dot on int8 activations ({@link Q8Act}) with its two-row variant,
 * the vector decoder, the re-layout at load ({@link InterleavedRows}), and the scaled row added to floats (a
 * quantized KV cache's values meeting their attention weights). A type missing an entry falls back:
 * no fused float dot, decode a row into scratch then dot; no int8 dot, float activations; no vector decoder,
 * {@link Dequant}'s exact one; no re-layout, the file's layout. Matrices take their kernels from here once, when
 * they are bound ({@link BoundMatrix}); nothing else asks a weight for its type to pick a kernel.
 */
public final class TypeKernels {
    /** A row of weights at {@code off} times float activations x[xo, xo + n). */
    @FunctionalInterface
    interface FloatDot {
        float dot(MemorySegment w, long off, float[] x, int xo, int n);
    }

    /** A row of weights at {@code off} times int8 activations. */
    @FunctionalInterface
    interface IntDot {
        float dot(MemorySegment w, long off, Q8Act a, int n);
    }

    /** Two consecutive rows at once: y[r], y[r + 1]. */
    @FunctionalInterface
    interface IntDot2 {
        void dot(MemorySegment w, long off, long rowBytes, Q8Act a, int n, float[] y, int r, boolean accumulate);
    }

    /** n values from byte {@code off} into dst[o, o + n). */
    @FunctionalInterface
    interface Decoder {
        void decode(MemorySegment src, long off, float[] dst, int o, int n);
    }

    /** y[yo, yo + n) += a * the row at {@code off}. */
    @FunctionalInterface
    interface Axpy {
        void axpy(float a, MemorySegment w, long off, float[] y, int yo, int n);
    }

    /** The re-laid copy of a matrix, in memory from {@code arena}. */
    @FunctionalInterface
    interface Relayout {
        InterleavedRows copy(Tensor t, MemorySegment into);
    }

    private static final Map<DType, TypeKernels> TABLE = new EnumMap<>(DType.class);

    static {
        DType[] plain = {DType.Q2_K, DType.Q3_K, DType.Q5_K, DType.Q8_K, DType.Q8_1, DType.IQ4_NL, DType.IQ4_XS, DType.IQ3_XXS,
            DType.IQ3_S, DType.IQ2_XXS, DType.IQ2_XS, DType.IQ2_S, DType.IQ1_S};
        add(new TypeKernels(DType.F32, FloatKernels::f32, null, null, null, null, null));
        add(new TypeKernels(DType.F16, FloatKernels::f16, null, null, (s, off, d, o, n) -> FastDequant.halves(DType.F16, s, off, d, o, n), null,
                FloatKernels::f16Axpy));
        add(new TypeKernels(DType.BF16, FloatKernels::bf16, null, null, (s, off, d, o, n) -> FastDequant.halves(DType.BF16, s, off, d, o, n), null, null));
        add(new TypeKernels(DType.Q8_0, QuantKernels::q8_0, IntKernels::q8_0, null, FastDequant::q8_0, null, QuantKernels::q8_0Axpy));
        add(new TypeKernels(DType.Q4_0, QuantKernels::q4_0, IntKernels::q4_0, IntKernels::q4_0x2, FastDequant::q4_0, InterleavedQ4_0::new,
                QuantKernels::q4_0Axpy));
        add(new TypeKernels(DType.Q4_1, null, IntKernels::q4_1, null, null, null, null));
        add(new TypeKernels(DType.Q5_0, null, IntKernels::q5_0, null, null, null, null));
        add(new TypeKernels(DType.Q5_1, null, IntKernels::q5_1, null, null, null, null));
        add(new TypeKernels(DType.Q4_K, KQuantKernels::q4_k, IntKernels::q4_k, null, null, null, null));
        add(new TypeKernels(DType.Q6_K, KQuantKernels::q6_k, IntKernels::q6_k, null, null, null, null));
        for (DType t : plain) add(new TypeKernels(t, null, null, null, null, null, null));
    }

    private static void add(TypeKernels k) {
        TABLE.put(k.type, k);
    }

    final DType type;
    private final FloatDot floatDot;
    final IntDot intDot;
    final IntDot2 intDot2;
    private final Decoder decoder;
    private final Relayout relayout;
    private final Axpy axpy;

    private TypeKernels(DType type, FloatDot floatDot, IntDot intDot, IntDot2 intDot2, Decoder decoder, Relayout relayout, Axpy axpy) {
        this.type = type;
        this.floatDot = floatDot;
        this.intDot = intDot;
        this.intDot2 = intDot2;
        this.decoder = decoder;
        this.relayout = relayout;
        this.axpy = axpy;
    }

    /** The kernels of a weight type; a type that holds no real numbers (integers, F64) has none. */
    public static TypeKernels of(DType type) {
        TypeKernels k = TABLE.get(type);
        if (k == null) throw new IllegalArgumentException(type + " weights have no fast kernels (" + TABLE.keySet() + " do)");
        return k;
    }

    public DType type() {
        return type;
    }

    /** True when float activations meet the weights in a fused kernel (no row decoded into scratch). */
    public boolean fused() {
        return floatDot != null;
    }

    /** True when the type has a dot product on int8 activations. */
    public boolean int8() {
        return intDot != null;
    }

    /** True when the type is re-laid at load for its decode kernel. */
    public boolean relaid() {
        return relayout != null;
    }

    /** A row at {@code off} times x[xo, xo + n): the fused kernel, or (with {@code fused} false or none) decode then dot. */
    float dot(MemorySegment w, long off, float[] x, int xo, int n, float[] scratch, boolean fused) {
        if (fused && floatDot != null) return floatDot.dot(w, off, x, xo, n);
        decode(w, off, scratch, 0, n);
        return VectorOps.dot(scratch, 0, x, xo, n);
    }

    /** True when the type has both a fused float dot and a fused axpy: what a KV cache of the type reads with. */
    public boolean rowKernels() {
        return floatDot != null && axpy != null;
    }

    /** A row at {@code off} times x[xo, xo + n) by the fused kernel; only for {@link #rowKernels} types. */
    public float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        return floatDot.dot(w, off, x, xo, n);
    }

    /** y[yo, yo + n) += a * the row at {@code off}, fused; only for {@link #rowKernels} types. */
    public void axpy(float a, MemorySegment w, long off, float[] y, int yo, int n) {
        axpy.axpy(a, w, off, y, yo, n);
    }

    /** A row at {@code off} times int8 activations; only for {@link #int8} types. */
    float dot(MemorySegment w, long off, Q8Act a, int n) {
        if (intDot == null) throw new IllegalArgumentException("no int8-activation kernel for " + type);
        return intDot.dot(w, off, a, n);
    }

    /** Decodes {@code n} values from byte {@code off} into dst[o, o + n) (whole blocks; a partial one is an error). */
    public void decode(MemorySegment src, long off, float[] dst, int o, int n) {
        if (decoder == null || (type.isQuantized() && n % type.blockSize != 0)) {
            Dequant.decode(type, src, off, dst, o, n); // the reference decoder, which also says what a partial block lacks
            return;
        }
        decoder.decode(src, off, dst, o, n);
    }

    /** The re-laid copy of {@code t} (same bytes, reordered) in {@code arena}, or null when {@code t} keeps the file's layout. */
    InterleavedRows relayout(Tensor t, Arena arena) {
        if (relayout == null || !InterleavedRows.fits(t)) return null;
        return relayout.copy(t, arena.allocate(t.data().byteSize(), 64));
    }
}
