package org.slim4j.tensor.kernel;

/**
 * How the fast engines run, in one place: threads, and the switches that turn each optimisation off to compare it
 * against the path it replaced. {@link #defaults()} reads them once from the system properties the CLI passes
 * through ({@code -Dslim4j.act8=false} and so on); code sets them with the {@code with*} methods.
 *
 * @param threads       worker threads, 0 for all cores
 * @param act8          decode steps quantize matrix inputs to int8 per 32-block and use integer dot products for the
 *                      types that have them (as llama.cpp does); false keeps float32 activations (slim4j.act8)
 * @param interleave    Q4_0 matrices re-laid at load with 32 rows interleaved (slim4j.interleave)
 * @param gemmPrefill   prompt batches through the packed GEMM rather than 4-row tiles (slim4j.gemm)
 * @param twoRows       Q4_0 in the file's layout takes two rows per call of its integer kernel (slim4j.rows2)
 * @param fusedDots     float activations meet the weights in the types' fused kernels rather than a decoded row
 *                      (slim4j.fused)
 * @param nativeLinears weights a loader registered with a kernel of their own (2:4 sparse, factor pairs) run it
 *                      (slim4j.native)
 * @param cKernels      the C microkernels ({@link NativeKernels}, AVX-512 VNNI) where the CPU has them; false keeps every
 *                      product on the Java kernels (slim4j.ckernels)
 * @param kvCache       how the decoder's KV cache stores keys and values (float32 unless a run asks otherwise)
 */
public record EngineOptions(int threads, boolean act8, boolean interleave, boolean gemmPrefill, boolean twoRows,
                            boolean fusedDots, boolean nativeLinears, boolean cKernels, KvCacheOptions kvCache) {
    private static final EngineOptions DEFAULTS = new EngineOptions(0, on("slim4j.act8"), on("slim4j.interleave"), on("slim4j.gemm"),
            on("slim4j.rows2"), on("slim4j.fused"), on("slim4j.native"), on("slim4j.ckernels"), KvCacheOptions.F32);

    public EngineOptions {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all cores), got " + threads);
        if (kvCache == null) throw new IllegalArgumentException("kvCache must not be null (KvCacheOptions.F32 for float32)");
    }

    private static boolean on(String property) {
        return !"false".equals(System.getProperty(property));
    }

    /** Everything on, all cores, unless a system property turned a switch off. */
    public static EngineOptions defaults() {
        return DEFAULTS;
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(n, act8, interleave, gemmPrefill, twoRows, fusedDots, nativeLinears, cKernels, kvCache);
    }

    public EngineOptions withAct8(boolean on) {
        return new EngineOptions(threads, on, interleave, gemmPrefill, twoRows, fusedDots, nativeLinears, cKernels, kvCache);
    }

    public EngineOptions withInterleave(boolean on) {
        return new EngineOptions(threads, act8, on, gemmPrefill, twoRows, fusedDots, nativeLinears, cKernels, kvCache);
    }

    public EngineOptions withGemmPrefill(boolean on) {
        return new EngineOptions(threads, act8, interleave, on, twoRows, fusedDots, nativeLinears, cKernels, kvCache);
    }

    public EngineOptions withCKernels(boolean on) {
        return new EngineOptions(threads, act8, interleave, gemmPrefill, twoRows, fusedDots, nativeLinears, on, kvCache);
    }

    public EngineOptions withKvCache(KvCacheOptions o) {
        return new EngineOptions(threads, act8, interleave, gemmPrefill, twoRows, fusedDots, nativeLinears, cKernels, o);
    }

    /** Threads this many workers use: {@link #threads}, or every core when 0. */
    public int workers() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
