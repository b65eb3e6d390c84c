package org.slim4j.compress.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Threads;

/**
 * How {@link Compression} runs: where it writes, what it calibrates and evaluates on, how many threads it uses.
 * Defaults: calibration on STS-B train sentences (encoders, 1024) or kjv-bible.txt (decoders, 64 sequences of 256
 * tokens), evaluation on STS-B dev (encoders) or 4 chunks of 128 tokens of WikiText-2 (decoders), all cores.
 */
public final class CompressOptions {
    private final Path output;
    private List<Path> calibration;
    /** Ceilings on calibration sizes, checked before arrays are made from them: far past any use, short of an int's wrap. */
    static final int MAX_SAMPLES = 1 << 20, MAX_SEQ_LEN = 1 << 20;

    /** The calibration and evaluation sizes of compress and shrink, checked when set. */
    static Integer checkedSamples(Integer n) {
        if (n != null && (n < 1 || n > MAX_SAMPLES)) throw new BadInputException("--samples", null, n + " is outside 1.." + MAX_SAMPLES);
        return n;
    }

    static int checkedSeqLen(int n) {
        if (n < 1 || n > MAX_SEQ_LEN) throw new BadInputException("--seq-len", null, n + " is outside 1.." + MAX_SEQ_LEN);
        return n;
    }

    /** At least {@code least}: 1, or 0 where no KL evaluation is allowed (compress's GGUF schemes: see {@link Compression}). */
    static int checkedEvalChunks(int n, int least) {
        if (n < least) throw new BadInputException("--eval-chunks", null, (least == 0 ? "must be >= 0 (0: no evaluation), got " : "must be >= 1, got ") + n);
        return n;
    }

    private Integer samples;
    private int seqLen = 256;
    private long seed = 42;
    private Path evalText;
    private int evalChunks = 4;
    private int ctx = 128;
    private int threads;
    private boolean dense;
    private boolean imatrix;
    private String fallback;
    private boolean pure;
    private boolean beforeAfterTable;
    private boolean gptq;
    private boolean actOrder = true;
    private List<String> tensorTypes = List.of();
    private Long targetBytes;
    private Double targetBpw;
    private Path imatrixFile;
    private int searchGenerations;
    private int searchOffspring = 8;
    private Long searchSeed;

    private CompressOptions(Path output) {
        this.output = output;
    }

    /** Options writing to {@code output}: a folder (compressed-tensors) or, for llama.cpp types, a .gguf file. */
    public static CompressOptions to(Path output) {
        return new CompressOptions(output);
    }

    /** Calibration text files (default: STS-B train for encoders, kjv-bible.txt for decoders). */
    public CompressOptions calibration(List<Path> files) {
        this.calibration = files == null ? null : List.copyOf(files);
        return this;
    }

    /** Calibration sentences (encoders, default 1024) or sequences (decoders, default 64). */
    public CompressOptions samples(Integer n) {
        this.samples = checkedSamples(n);
        return this;
    }

    /** Tokens per decoder calibration sequence (default 256). */
    public CompressOptions seqLen(int n) {
        this.seqLen = checkedSeqLen(n);
        return this;
    }

    public CompressOptions seed(long s) {
        this.seed = s;
        return this;
    }

    /** Decoders: the held-out text the KL divergence is measured on (default WikiText-2 test). */
    public CompressOptions evalText(Path text) {
        this.evalText = text;
        return this;
    }

    /** Decoders: chunks of the evaluation text (default 4) of {@code ctx} tokens (default 128). */
    public CompressOptions evaluation(int chunks, int ctx) {
        this.evalChunks = checkedEvalChunks(chunks, 0);
        this.ctx = ctx;
        return this;
    }

    /** Threads (0: all cores). */
    public CompressOptions threads(int n) {
        this.threads = Threads.check(n);
        return this;
    }

    /** Write the effective weights as float32 instead of compressed-tensors. */
    public CompressOptions dense(boolean on) {
        this.dense = on;
        return this;
    }

    /** GGUF types: weight the quantization by an importance matrix from the calibration text. */
    public CompressOptions imatrix(boolean on) {
        this.imatrix = on;
        return this;
    }

    /** GGUF types: the type of matrices whose rows are not whole blocks (e.g. "q8_0"); null makes them an error. */
    public CompressOptions fallback(String type) {
        this.fallback = type;
        return this;
    }

    /** GGUF types: every matrix in the one type (llama-quantize --pure). */
    public CompressOptions pure(boolean on) {
        this.pure = on;
        return this;
    }

    /** Encoders: print the original's row above the compressed one in the summary table. */
    public CompressOptions beforeAfterTable(boolean on) {
        this.beforeAfterTable = on;
        return this;
    }

    /** GGUF types: GPTQ's calibrated rounding into each tensor's block type instead of round-to-nearest. */
    public CompressOptions gptq(boolean on) {
        this.gptq = on;
        return this;
    }

    /** GPTQ: columns in order of decreasing Hessian diagonal (default on). */
    public CompressOptions actOrder(boolean on) {
        this.actOrder = on;
        return this;
    }

    /** GGUF types: llama-quantize's --tensor-type REGEX=TYPE rules (first match wins; they override the mix and the budget). */
    public CompressOptions tensorTypes(List<String> rules) {
        this.tensorTypes = rules == null ? List.of() : List.copyOf(rules);
        return this;
    }

    /** A GGUF of at most this many bytes: each tensor's type chosen to fit (null: none). */
    public CompressOptions targetBytes(Long bytes) {
        if (bytes != null && bytes <= 0) throw new BadInputException("--target-size", null, "must be > 0, got " + bytes);
        this.targetBytes = bytes;
        return this;
    }

    /** A GGUF of at most this many bits per weight, over all its tensors (null: none). */
    public CompressOptions targetBpw(Double bpw) {
        if (bpw != null && !(bpw > 0 && bpw <= 32)) throw new BadInputException("--target-bpw", null, "must be in (0, 32], got " + bpw);
        this.targetBpw = bpw;
        return this;
    }

    /** GGUF types: an importance matrix file (llama-imatrix's GGUF or .dat layout, or slim4j imatrix's). */
    public CompressOptions imatrixFile(Path file) {
        this.imatrixFile = file;
        return this;
    }

    /**
     * GGUF budgets: generations of the evolutionary search over the allocated types (0: none), offspring per
     * generation, and its seed (null: the calibration seed).
     */
    public CompressOptions search(int generations, int offspring, Long seed) {
        if (generations < 0) throw new BadInputException("--search-generations", null, "must be >= 0, got " + generations);
        if (offspring < 1 || offspring > 1024) throw new BadInputException("--search-offspring", null, "must be in 1..1024, got " + offspring);
        this.searchGenerations = generations;
        this.searchOffspring = offspring;
        this.searchSeed = seed;
        return this;
    }

    public int searchGenerations() {
        return searchGenerations;
    }

    public int searchOffspring() {
        return searchOffspring;
    }

    public long searchSeed() {
        return searchSeed != null ? searchSeed : seed;
    }

    public boolean gptq() {
        return gptq;
    }

    public boolean actOrder() {
        return actOrder;
    }

    public List<String> tensorTypes() {
        return tensorTypes;
    }

    public Long targetBytes() {
        return targetBytes;
    }

    public Double targetBpw() {
        return targetBpw;
    }

    public Path imatrixFile() {
        return imatrixFile;
    }

    public Path output() {
        return output;
    }

    public List<Path> calibration() {
        return calibration;
    }

    public Integer samples() {
        return samples;
    }

    public int seqLen() {
        return seqLen;
    }

    public long seed() {
        return seed;
    }

    public Path evalText() {
        return evalText;
    }

    public int evalChunks() {
        return evalChunks;
    }

    public int ctx() {
        return ctx;
    }

    public int threads() {
        return threads;
    }

    public boolean dense() {
        return dense;
    }

    public boolean imatrix() {
        return imatrix;
    }

    public String fallback() {
        return fallback;
    }

    public boolean pure() {
        return pure;
    }

    public boolean beforeAfterTable() {
        return beforeAfterTable;
    }
}
