package org.slim4j.compress.pipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Shrink} removes and how it ranks: decoders lose KV groups, query heads per group, FFN channels or whole
 * blocks; encoders lose a fraction of heads, FFN channels, whole blocks or only their FFN. Importance comes from
 * calibration text (default kjv-bible.txt, 32 x 128 tokens, for decoders; STS-B train, 256 sentences, for encoders).
 */
public final class ShrinkOptions {
    private final Path output;
    int kvGroups, headsPerGroup, blocks, skipFfn;
    double heads, ffn;
    List<Path> calibration;
    Integer samples;
    int seqLen = 128;
    long seed = 42;
    int evalChunks = 4, ctx = 128;
    Path gguf;
    int threads;

    private ShrinkOptions(Path output) {
        this.output = output;
    }

    public static ShrinkOptions to(Path output) {
        return new ShrinkOptions(output);
    }

    public Path output() {
        return output;
    }

    /** Decoders: KV groups removed per layer (with their query heads), query heads removed from every group. */
    public ShrinkOptions dropKvGroups(int groups, int headsPerGroup) {
        this.kvGroups = groups;
        this.headsPerGroup = headsPerGroup;
        return this;
    }

    /** Encoders: the fraction of attention heads removed per layer, in [0, 1). */
    public ShrinkOptions dropHeads(double fraction) {
        this.heads = fraction;
        return this;
    }

    /** The fraction of FFN channels removed per layer, in [0, 1). */
    public ShrinkOptions dropFfn(double fraction) {
        this.ffn = fraction;
        return this;
    }

    /** Whole blocks removed (least influence first). */
    public ShrinkOptions dropBlocks(int n) {
        this.blocks = n;
        return this;
    }

    /** Encoders: blocks whose FFN alone is removed. */
    public ShrinkOptions skipFfn(int n) {
        this.skipFfn = n;
        return this;
    }

    public ShrinkOptions calibration(List<Path> files, Integer samples, int seqLen, long seed) {
        this.calibration = files == null ? null : List.copyOf(files);
        this.samples = CompressOptions.checkedSamples(samples);
        this.seqLen = CompressOptions.checkedSeqLen(seqLen);
        this.seed = seed;
        return this;
    }

    /** Decoders: chunks of WikiText-2 and their length for the KL divergence. */
    public ShrinkOptions evaluation(int chunks, int ctx) {
        this.evalChunks = CompressOptions.checkedEvalChunks(chunks, 1);
        this.ctx = ctx;
        return this;
    }

    /** Decoders: also write the result as GGUF. */
    public ShrinkOptions gguf(Path file) {
        this.gguf = file;
        return this;
    }

    public ShrinkOptions threads(int n) {
        this.threads = org.slim4j.util.Threads.check(n);
        return this;
    }
}
