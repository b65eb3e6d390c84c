package org.slim4j.eval;

import org.slim4j.util.TempFiles;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.slim4j.model.CausalLM;
import org.slim4j.tensor.Dequant;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Progress;

/**
 * Base-model logits saved once so that many compressed variants can be compared without the base model.
 * Format (little-endian), version 1:
 * <pre>
 *   8 bytes  magic "S4JLOGIT"
 *   int32    version (1)
 *   int32    n_vocab, n_ctx, n_chunks, bos (-1 for none)
 *   int32    tokens[n_chunks * n_ctx]   the evaluated tokens, so a mismatched tokenizer is caught
 *   float16  logits[n_chunks][n_ctx - 1 - n_ctx/2][n_vocab]   only the scored positions
 * </pre>
 * float16 keeps the file at half the size of float32; logits round by at most 2^-11 relative, which moves KLD
 * by far less than any quantization this tool measures.
 */
public final class LogitCache implements KlDivergence.BaseLogits, AutoCloseable {
    private static final byte[] MAGIC = "S4JLOGIT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int HEADER = 8 + 4 * 5;

    private final Path path;
    private final Arena arena;
    private final MemorySegment seg;
    private final int vocab, nCtx, nChunks, bos;
    private final long logitsOffset;

    private LogitCache(Path path, Arena arena, MemorySegment seg, int vocab, int nCtx, int nChunks, int bos) {
        this.path = path;
        this.arena = arena;
        this.seg = seg;
        this.vocab = vocab;
        this.nCtx = nCtx;
        this.nChunks = nChunks;
        this.bos = bos;
        this.logitsOffset = HEADER + 4L * nChunks * nCtx;
    }

    /** Evaluates {@code base} over {@code chunks} and writes the cache. */
    public static void write(Path out, CausalLM base, Chunks chunks) throws IOException {
        int vocab = base.vocabSize();
        AtomicFiles.write(out, tmp -> {
            try (OutputStream os = Files.newOutputStream(tmp);
                 DataOutputStream d = new DataOutputStream(new BufferedOutputStream(os, 1 << 20))) {
                d.write(MAGIC);
                for (int v : new int[] {1, vocab, chunks.nCtx(), chunks.count(), chunks.bos()}) d.writeInt(Integer.reverseBytes(v));
                for (int c = 0; c < chunks.count(); c++) for (int t : chunks.chunk(c)) d.writeInt(Integer.reverseBytes(t));
                Progress progress = new Progress("base logits", chunks.count());
                for (int c = 0; c < chunks.count(); c++) {
                    float[] scored = chunks.scoredLogits(base, c);
                    for (float v : scored) d.writeShort(Short.reverseBytes(Float.floatToFloat16(v)));
                    progress.step(c + 1, null);
                }
            }
        });
    }

    /**
     * The base model's logits over {@code chunks} in a temporary cache file beside {@code dir} (float16 on disk, not
     * on the heap: 40 chunks of 512 over a 49k vocabulary would be 2 GB of floats), deleted when closed. This is how a
     * model that is about to change in place (compression) keeps its original's answers.
     */
    public static LogitCache temporary(CausalLM base, Chunks chunks, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = TempFiles.track(Files.createTempFile(dir, ".slim4j-base", ".logits"));
        try {
            write(tmp, base, chunks);
            LogitCache c = open(tmp);
            c.deleteOnClose = true;
            return c;
        } catch (IOException | RuntimeException e) {
            TempFiles.delete(tmp);
            throw e;
        }
    }

    private boolean deleteOnClose;

    public static LogitCache open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER) throw new BadInputException(path, "header", "file is " + size + " bytes, too short for a logit cache");
            Arena arena = Arena.ofShared();
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            byte[] magic = seg.asSlice(0, 8).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            if (!Arrays.equals(magic, MAGIC)) fail(arena, path, "magic", "not a slim4j logit cache");
            int version = seg.get(Dequant.I32, 8);
            if (version != 1) fail(arena, path, "version", "unsupported version " + version);
            int vocab = seg.get(Dequant.I32, 12), nCtx = seg.get(Dequant.I32, 16), nChunks = seg.get(Dequant.I32, 20);
            int bos = seg.get(Dequant.I32, 24);
            if (vocab <= 0 || nCtx < 4 || nChunks <= 0) fail(arena, path, "header", "vocab/n_ctx/n_chunks out of range");
            long expected = HEADER + 4L * nChunks * nCtx + 2L * nChunks * Chunks.scoredPerChunk(nCtx) * vocab;
            if (size != expected) fail(arena, path, "size", "file is " + size + " bytes, header implies " + expected);
            return new LogitCache(path, arena, seg, vocab, nCtx, nChunks, bos);
        } catch (IOException e) {
            throw new BadInputException(path, "file", "cannot read: " + e.getMessage());
        }
    }

    private static void fail(Arena arena, Path path, String field, String msg) {
        arena.close();
        throw new BadInputException(path, field, msg);
    }

    /** The chunks this cache was made from; fails naming the field if they differ from {@code expected}. */
    public Chunks chunks() {
        int[] tokens = new int[nChunks * nCtx];
        MemorySegment.copy(seg, Dequant.I32, HEADER, tokens, 0, tokens.length);
        return new Chunks(tokens, nCtx, nChunks, bos);
    }

    public void checkMatches(Chunks mine, int myVocab) {
        if (myVocab != vocab) throw new BadInputException(path, "n_vocab", "cache has " + vocab + ", model has " + myVocab);
        if (mine.nCtx() != nCtx) throw new BadInputException(path, "n_ctx", "cache has " + nCtx + ", asked for " + mine.nCtx());
        Chunks cached = chunks();
        int n = Math.min(mine.count(), nChunks);
        for (int c = 0; c < n; c++) {
            if (!Arrays.equals(cached.chunk(c), mine.chunk(c))) {
                throw new BadInputException(path, "tokens", "chunk " + c + " differs from this text's tokens (another text or tokenizer?)");
            }
        }
    }

    @Override
    public float[] chunk(int c) {
        float[] out = new float[Chunks.scoredPerChunk(nCtx) * vocab];
        chunk(c, out);
        return out;
    }

    /** Chunk c's logits into {@code out}, rows converted on all cores. */
    @Override
    public void chunk(int c, float[] out) {
        int per = Chunks.scoredPerChunk(nCtx);
        long off = logitsOffset + 2L * c * per * vocab;
        java.util.stream.IntStream.range(0, per).parallel().forEach(r -> {
            long o = off + 2L * r * vocab;
            for (int i = 0, j = r * vocab; i < vocab; i++, j++) out[j] = Float.float16ToFloat(seg.get(Dequant.I16, o + 2L * i));
        });
    }

    public int vocab() {
        return vocab;
    }

    @Override
    public void close() {
        arena.close();
        if (deleteOnClose) TempFiles.delete(path);
    }
}
