package org.slim4j.tensor.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.EnumMap;
import java.util.Map;
import org.slim4j.tensor.DType;

/**
 * The C microkernels (src/main/c/slim4j_kernels.c, built by Maven with the system compiler into the jar) for what the
 * JVM cannot emit: AVX-512 VNNI's vpdpbusd, 64 int8 multiply-adds an instruction. Bound through FFM as critical
 * downcalls (no thread-state transition; heap arrays passed in place), and only when the library loaded and the CPU
 * has every instruction they use ({@code s4j_caps}); otherwise, and with {@link EngineOptions#cKernels} off, the Java
 * kernels run, and they stay the oracle the C ones are tested against.
 *
 * <p>Int8 kernels: {@code void s4j_TYPE(w, rowBytes, r0, r1, xq, xd, xs, xs16, cols, n, y, yStride, accumulate)}:
 * weight rows [r0, r1) of the block format as stored, times n activation rows quantized per 32-block ({@link Q8Act}).
 * Float kernels: {@code void s4j_f16|f32(w, rowBytes, r0, r1, x, cols, n, y, yStride, accumulate)}.
 */
public final class NativeKernels {
    private static final FunctionDescriptor INT = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final FunctionDescriptor FLOAT = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final FunctionDescriptor X16_KERNEL = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final Map<DType, MethodHandle> INT_KERNELS = new EnumMap<>(DType.class);
    private static final Map<DType, MethodHandle> FLOAT_KERNELS = new EnumMap<>(DType.class);
    private static final Map<DType, MethodHandle> X16_KERNELS = new EnumMap<>(DType.class);
    private static MethodHandle x16Pack, x16Row, x16Bytes, x16Q4z, epilogue, quantize, attention, sgemm2, blockAttention, rmsNorm, swiglu, lse, kl;
    private static final String STATUS;

    static {
        String status;
        try {
            Path lib = library();
            if (lib == null) {
                status = "not built (no C compiler at build time, or not Linux x86-64)";
            } else {
                SymbolLookup syms = SymbolLookup.libraryLookup(lib, Arena.global());
                Linker linker = Linker.nativeLinker();
                MethodHandle caps = linker.downcallHandle(syms.find("s4j_caps").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
                if (((int) caps.invokeExact() & 1) == 0) {
                    status = "this CPU lacks AVX-512 VNNI";
                } else {
                    Linker.Option critical = Linker.Option.critical(true);
                    for (DType t : new DType[] {DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K,
                        DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
                        INT_KERNELS.put(t, linker.downcallHandle(syms.find("s4j_" + t.name().toLowerCase()).orElseThrow(), INT, critical));
                    }
                    for (DType t : new DType[] {DType.F16, DType.F32}) {
                        FLOAT_KERNELS.put(t, linker.downcallHandle(syms.find("s4j_" + t.name().toLowerCase()).orElseThrow(), FLOAT, critical));
                    }
                    for (DType t : new DType[] {DType.Q4_0, DType.Q8_0, DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
                        X16_KERNELS.put(t, linker.downcallHandle(syms.find("s4j_x16_" + t.name().toLowerCase()).orElseThrow(), X16_KERNEL, critical));
                    }
                    epilogue = linker.downcallHandle(syms.find("s4j_epilogue").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT), critical);
                    quantize = linker.downcallHandle(syms.find("s4j_quantize_q8").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS), critical);
                    attention = linker.downcallHandle(syms.find("s4j_attention").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), critical);
                    FunctionDescriptor gemm = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
                    sgemm2 = linker.downcallHandle(syms.find("s4j_sgemm2").orElseThrow(), gemm, critical);
                    blockAttention = linker.downcallHandle(syms.find("s4j_block_attention").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), critical);
                    rmsNorm = linker.downcallHandle(syms.find("s4j_rmsnorm").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS), critical);
                    swiglu = linker.downcallHandle(syms.find("s4j_swiglu").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT), critical);
                    lse = linker.downcallHandle(syms.find("s4j_lse").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT), critical);
                    kl = linker.downcallHandle(syms.find("s4j_kl").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_INT), critical);
                    x16Q4z = linker.downcallHandle(syms.find("s4j_x16_q4z").orElseThrow(), X16_KERNEL, critical);
                    x16Pack = linker.downcallHandle(syms.find("s4j_x16_pack").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                    x16Row = linker.downcallHandle(syms.find("s4j_x16_row").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), critical);
                    x16Bytes = linker.downcallHandle(syms.find("s4j_x16_bytes").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                    status = "AVX-512 VNNI kernels for " + INT_KERNELS.keySet() + " (16-row re-layout for " + X16_KERNELS.keySet()
                            + ") and " + FLOAT_KERNELS.keySet();
                }
            }
        } catch (Throwable t) {
            INT_KERNELS.clear();
            FLOAT_KERNELS.clear();
            X16_KERNELS.clear();
            status = "failed to load: " + t;
        }
        STATUS = status;
    }

    private NativeKernels() {}

    /** What was loaded, or why nothing was (for bench and --verbose output). */
    public static String status() {
        return STATUS;
    }

    /** True when some C kernel can run here. */
    public static boolean available() {
        return !INT_KERNELS.isEmpty();
    }

    /** The int8-activation kernel of a block type, or null. */
    static MethodHandle intKernel(DType t) {
        return INT_KERNELS.get(t);
    }

    /** The float-activation kernel of a float type, or null. */
    static MethodHandle floatKernel(DType t) {
        return FLOAT_KERNELS.get(t);
    }

    /** Rows a 16-row re-laid matrix holds per group. */
    public static final int X16 = 16;

    /** True when matrices of this type can be re-laid with 16 rows interleaved for the C kernels ({@link #x16Pack}). */
    static boolean x16(DType t) {
        return X16_KERNELS.containsKey(t);
    }

    /** Bytes of the re-laid form of a [rows, cols] matrix (rows whole groups of 16). */
    static long x16Bytes(DType t, int rows, int cols) {
        try {
            return (long) x16Bytes.invokeExact(t.ggmlId, rows, cols);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Re-lays rows [0, rows) of src (the file's layout, native memory) into dst ({@link #x16Bytes} of them). */
    static void x16Pack(DType t, MemorySegment src, long rowBytes, int rows, int cols, MemorySegment dst) {
        try {
            x16Pack.invokeExact(t.ggmlId, src, rowBytes, rows, cols, dst);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Rows [16 g0, 16 g1) of a re-laid W times n int8 activation rows into y. */
    static void x16Rows(DType t, MemorySegment packed, int g0, int g1, Q8Act a, int n, float[] y, int yStride, boolean acc) {
        x16Rows(t, packed, g0, g1, a, n, y, 0, yStride, acc);
    }

    /** y from column {@code yOffset} on; the whole array, with no slice made, at 0 (the decoder's path, every call). */
    private static MemorySegment outputs(float[] y, int yOffset) {
        MemorySegment s = MemorySegment.ofArray(y);
        return yOffset == 0 ? s : s.asSlice(4L * yOffset);
    }

    /** The same with row r's outputs in column {@code yOffset + r} of y (one part of a stacked product). */
    static void x16Rows(DType t, MemorySegment packed, int g0, int g1, Q8Act a, int n, float[] y, int yOffset, int yStride, boolean acc) {
        try {
            X16_KERNELS.get(t).invokeExact(packed, g0, g1, a.q8Seg, a.dSeg, a.sumSeg, a.sum16Seg, a.cols(), n, outputs(y, yOffset), yStride, acc ? 1 : 0);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * Rows [16 g0, 16 g1) of an asymmetric 4-bit matrix in the 16-row layout with integer zeros ({@link IntLinear})
     * times n int8 activation rows into y.
     */
    static void x16Q4zRows(MemorySegment packed, int g0, int g1, Q8Act a, int n, float[] y, int yOffset, int yStride) {
        try {
            x16Q4z.invokeExact(packed, g0, g1, a.q8Seg, a.dSeg, a.sumSeg, a.sum16Seg, a.cols(), n, outputs(y, yOffset), yStride, 0);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * y[i, c0 .. c1) += bias[c] (and residual[i, c]), then GELU when asked, for rows i < n (row stride ld); c0 and c1
     * whole 16-column strips; bias or residual may be null.
     */
    public static void epilogue(float[] y, int ld, int n, int c0, int c1, float[] bias, float[] residual, boolean gelu) {
        epilogue(y, ld, 0, n, c0, c1 - c0, bias, residual, gelu);
    }

    /** The same over rows [r0, r1) and {@code width} columns from {@code col} (PackedGemm's epilogue: one strip). */
    static void epilogue(float[] y, int ld, int r0, int r1, int col, int width, float[] bias, float[] residual, boolean gelu) {
        try {
            // locals, not conditionals, as arguments: invokeExact takes each argument's static type, and a conditional
            // in that position is typed Object
            MemorySegment b = bias == null ? MemorySegment.NULL : MemorySegment.ofArray(bias);
            MemorySegment r = residual == null ? MemorySegment.NULL : MemorySegment.ofArray(residual);
            MemorySegment rows = MemorySegment.ofArray(y).asSlice(4L * r0 * ld);
            MemorySegment rr = residual == null ? r : r.asSlice(4L * r0 * ld);
            epilogue.invokeExact(rows, ld, r1 - r0, col, col + width, b, rr, gelu ? 1 : 0);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@link Q8Act#quantizeRows}' work on values x[xo, xo + count), count whole 32-blocks, into a. */
    static void quantize(float[] x, int xo, int count, Q8Act a) {
        try {
            quantize.invokeExact(MemorySegment.ofArray(x).asSlice(4L * xo), count, a.q8Seg, a.qSeg, a.dSeg, a.sSeg, a.sumSeg, a.sum16Seg);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * One head of one text's self-attention: rows [row, row + n) of qkv (stride ld; Q, K, V at columns q0, k0, v0, head
     * width dh) into ctx (stride ldc, at column c0); scores holds n floats of scratch.
     */
    public static void attention(float[] qkv, int row, int ld, int n, int q0, int k0, int v0, int dh, float[] ctx, int ldc, int c0, float[] scores) {
        try {
            attention.invokeExact(MemorySegment.ofArray(qkv).asSlice(4L * row * ld), ld, n, q0, k0, v0, dh,
                    MemorySegment.ofArray(ctx).asSlice(4L * row * ldc), ldc, c0, MemorySegment.ofArray(scores));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * The float GEMM's 512-bit tile over rows [r0, r1) ({@link PackedGemm}'s wide6, same arithmetic in the same order):
     * c[r][col..col+31] (+)= a[r][k0..k1) times panels b (from bo) and b2 (from bo2), 16 floats per k each.
     */
    static void sgemm2(float[] a, int lda, int r0, int r1, int k0, int k1, float[] b, int bo, float[] b2, int bo2, float[] c, int ldc, int col, boolean first) {
        try {
            sgemm2.invokeExact(MemorySegment.ofArray(a), lda, r0, r1, k0, k1, MemorySegment.ofArray(b), bo, MemorySegment.ofArray(b2), bo2,
                    MemorySegment.ofArray(c), ldc, col, first ? 1 : 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A decoder's prompt attention for up to 16 query rows of one head (BlockAttention's algorithm; see
     * {@code s4j_block_attention} in slim4j_encoder.c for the arguments).
     */
    public static void blockAttention(float[] q, int qDim, int i0, int nq, int qOff, float[] keys, float[] values, long kv0, int slots, int hd,
                                      int first, int from, int window, float scale, float[] scratch, float[] att) {
        try {
            blockAttention.invokeExact(MemorySegment.ofArray(q), qDim, i0, nq, qOff, MemorySegment.ofArray(keys), MemorySegment.ofArray(values), kv0, slots, hd,
                    first, from, window, scale, MemorySegment.ofArray(scratch), MemorySegment.ofArray(att));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@link RowKernels#rmsNorm}'s work in C (slim4j_rows.c). */
    static void rmsNorm(float[] in, int inOff, int rows, int h, float[] w, float eps, float[] out, int outOff) {
        try {
            rmsNorm.invokeExact(MemorySegment.ofArray(in).asSlice(4L * inOff), rows, h, MemorySegment.ofArray(w), eps,
                    MemorySegment.ofArray(out).asSlice(4L * outOff));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@link RowKernels#swiglu}'s work in C. */
    static void swiglu(float[] gate, float[] up, int from, int to) {
        try {
            swiglu.invokeExact(MemorySegment.ofArray(gate).asSlice(4L * from), MemorySegment.ofArray(up).asSlice(4L * from), to - from);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** log(sum(exp(x))) over x[off, off + n), as {@code LogitMath.logSumExp} computes it. */
    public static double logSumExp(float[] x, int off, int n) {
        try {
            return (double) lse.invokeExact(MemorySegment.ofArray(x).asSlice(4L * off), n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** KL(P || Q) of two rows of logits with their log-sum-exps, as {@code LogitMath.kl} computes it. */
    public static double kl(float[] base, int bo, double lseP, float[] cmp, int co, double lseQ, int n) {
        try {
            return (double) kl.invokeExact(MemorySegment.ofArray(base).asSlice(4L * bo), lseP, MemorySegment.ofArray(cmp).asSlice(4L * co), lseQ, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Row {@code row} of a re-laid matrix decoded into dst[o, o + cols). */
    static void x16Row(DType t, MemorySegment packed, int cols, int row, float[] dst, int o) {
        try {
            x16Row.invokeExact(t.ggmlId, packed, cols, row, MemorySegment.ofArray(dst).asSlice(4L * o));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** The library: a file beside the classes (a build tree), or extracted once from the jar into the cache folder. */
    private static Path library() throws IOException {
        String res = "native/linux-x86_64/libslim4j.so";
        URL url = NativeKernels.class.getClassLoader().getResource(res);
        if (url == null) return null;
        if (url.getProtocol().equals("file")) return Path.of(java.net.URI.create(url.toString()));
        String env = System.getenv("SLIM4J_CACHE");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "slim4j");
        Files.createDirectories(dir);
        try (InputStream in = url.openStream()) {
            byte[] bytes = in.readAllBytes();
            Path target = dir.resolve("libslim4j-" + Integer.toHexString(java.util.Arrays.hashCode(bytes)) + ".so");
            if (!Files.isRegularFile(target) || Files.size(target) != bytes.length) {
                Path tmp = Files.createTempFile(dir, "libslim4j", ".part");
                try {
                    Files.write(tmp, bytes);
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return target;
        }
    }

    /** Rows [r0, r1) of W times n int8 activation rows into y. */
    static void intRows(MethodHandle k, MemorySegment w, long rowBytes, int r0, int r1, Q8Act a, int n, float[] y, int yStride, boolean acc) {
        try {
            k.invokeExact(w, rowBytes, r0, r1, a.q8Seg, a.dSeg, a.sumSeg, a.sum16Seg, a.cols(), n, MemorySegment.ofArray(y), yStride, acc ? 1 : 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Rows [r0, r1) of W times n float activation rows x into y. */
    static void floatRows(MethodHandle k, MemorySegment w, long rowBytes, int r0, int r1, float[] x, int cols, int n, float[] y, int yStride, boolean acc) {
        try {
            k.invokeExact(w, rowBytes, r0, r1, MemorySegment.ofArray(x), cols, n, MemorySegment.ofArray(y), yStride, acc ? 1 : 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
