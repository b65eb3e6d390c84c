package org.slim4j.io.lossless;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * Lossless coding of one float tensor after DFloat11 (Zhang et al., "70% Size, 100% Accuracy: Lossless LLM
 * Compression for Efficient GPU Inference via Dynamic-Length Float", 2025) and ZipNN (Hershcovitch et al., 2024):
 * each value's exponent byte ({@link FloatFields}) is Huffman-coded with one length-capped code per tensor
 * ({@link Huffman}), sign and mantissa are stored raw. The tensor is cut into chunks of {@link #CHUNK} values that
 * decode independently (threads take whole chunks), and each chunk into {@link #LANES} lanes of consecutive values,
 * each lane its own byte-aligned bit stream: one thread decodes the four lanes in one loop, so the four chains of
 * table lookups overlap instead of each waiting on the previous code's length. A CRC-32C of each chunk's original
 * bytes makes a wrong decode an error, never different weights.
 */
final class ExponentCoding {
    /** Values per independently decodable chunk. */
    static final int CHUNK = 1 << 16;
    /** Bit streams per chunk, decoded interleaved. */
    static final int LANES = 4;
    /** Zero bytes after the last stream, so that the decoder's 8-byte reads never run past it. */
    static final int PAD = 8;

    private static final ValueLayout.OfLong BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int SHIFT = 64 - Huffman.MAX_BITS;

    /**
     * A coded tensor as the file stores it: 256 code lengths (U8), the byte offset of every lane's stream and the end
     * of the last (I64, chunks x LANES + 1), the streams followed by {@link #PAD} zero bytes (U8), the raw planes (U8,
     * planes x elements) and one CRC-32C per chunk (I32). The decode tables are built once, from the lengths.
     */
    record Parts(FloatFields fields, long elements, int[] lengths, MemorySegment lanes, MemorySegment stream, MemorySegment raw, MemorySegment crc,
                 int[] multi, short[] single) {
        Parts(FloatFields fields, long elements, int[] lengths, MemorySegment lanes, MemorySegment stream, MemorySegment raw, MemorySegment crc) {
            this(fields, elements, lengths, lanes, stream, raw, crc, Huffman.multiTable(lengths), Huffman.singleTable(lengths));
        }

        /** Bytes stored for the tensor: streams, raw planes, code lengths, lane offsets and CRCs. */
        long bytes() {
            return stream.byteSize() + raw.byteSize() + 256 + lanes.byteSize() + crc.byteSize();
        }

        long lane(int chunk, int lane) {
            return lanes.getAtIndex(Dequant.I64, (long) chunk * LANES + lane);
        }
    }

    private ExponentCoding() {}

    static int chunks(long elements) {
        return Math.toIntExact((elements + CHUNK - 1) / CHUNK);
    }

    /** Values in chunk c of a tensor of {@code elements}. */
    static int chunkSize(long elements, int c) {
        return (int) Math.min(CHUNK, elements - (long) c * CHUNK);
    }

    /** First value of lane {@code lane} within a chunk of {@code m} values (lane LANES is the chunk's end). */
    static int laneStart(int m, int lane) {
        return (int) ((long) lane * m / LANES);
    }

    /** Codes a F32, F16 or BF16 tensor. */
    static Parts encode(Tensor t) {
        FloatFields f = FloatFields.of(t.dtype());
        if (f == null) throw new IllegalArgumentException(t.name() + ": " + t.dtype() + " is not a float type that is coded (F32, F16, BF16)");
        long n = t.elements();
        MemorySegment src = t.data();
        long[] counts = new long[256];
        for (long i = 0; i < n; i++) counts[f.symbol(f.bits(src, i))]++;
        int[] len = Huffman.lengths(counts);
        int[] code = Huffman.codes(len);
        long bits = 0;
        for (int s = 0; s < 256; s++) bits += counts[s] * len[s];
        int chunks = chunks(n);
        long[] offsets = new long[chunks * LANES + 1];
        BitWriter w = new BitWriter(Math.toIntExact(bits / 8 + (long) chunks * LANES + PAD));
        byte[] raw = new byte[Math.toIntExact(n * f.planes)];
        int[] crcs = new int[chunks];
        CRC32C crc = new CRC32C();
        int width = t.dtype().blockBytes;
        for (int c = 0; c < chunks; c++) {
            long first = (long) c * CHUNK;
            int m = chunkSize(n, c);
            for (int lane = 0; lane < LANES; lane++) {
                offsets[c * LANES + lane] = w.size();
                for (int i = laneStart(m, lane), end = laneStart(m, lane + 1); i < end; i++) {
                    long k = first + i;
                    int v = f.bits(src, k);
                    int s = f.symbol(v);
                    w.write(code[s], len[s]);
                    for (int p = 0; p < f.planes; p++) raw[(int) (p * n + k)] = (byte) f.raw(v, p);
                }
                w.align();
            }
            crc.reset();
            crc.update(src.asSlice(first * width, (long) m * width).asByteBuffer());
            crcs[c] = (int) crc.getValue();
        }
        offsets[chunks * LANES] = w.size();
        for (int i = 0; i < PAD; i++) w.write(0, 8);
        MemorySegment lanes = MemorySegment.ofArray(new byte[8 * offsets.length]), crcBytes = MemorySegment.ofArray(new byte[4 * chunks]);
        MemorySegment.copy(offsets, 0, lanes, Dequant.I64, 0, offsets.length);
        MemorySegment.copy(crcs, 0, crcBytes, Dequant.I32, 0, chunks);
        return new Parts(f, n, len, lanes, MemorySegment.ofArray(w.bytes()), MemorySegment.ofArray(raw), crcBytes);
    }

    /** A decoding thread's buffers for one chunk: its symbols, its raw planes, its decoded bytes. */
    record Scratch(byte[] syms, byte[] raw, byte[] out) {
        Scratch() {
            this(new byte[CHUNK], new byte[3 * CHUNK], new byte[4 * CHUNK]);
        }
    }

    /**
     * Decodes chunk c of {@code p} into {@code out} (the whole tensor's bytes). Returns null, or what is wrong with
     * the chunk's stream: a lane that does not end where the next begins (a corrupt stream or code table), or a CRC
     * that differs.
     */
    static String decode(Parts p, int c, Scratch scratch, MemorySegment out) {
        byte[] syms = scratch.syms;
        long first = (long) c * CHUNK;
        int m = chunkSize(p.elements, c);
        MemorySegment s = p.stream;
        int[] multi = p.multi;
        long b0 = 8 * p.lane(c, 0), b1 = 8 * p.lane(c, 1), b2 = 8 * p.lane(c, 2), b3 = 8 * p.lane(c, 3);
        int o0 = 0, o1 = laneStart(m, 1), o2 = laneStart(m, 2), o3 = laneStart(m, 3);
        int e0 = o1, e1 = o2, e2 = o3, e3 = m;
        // the four lanes' lookups interleaved, while each lane has room for a whole table entry
        while (o0 < e0 - 2 && o1 < e1 - 2 && o2 < e2 - 2 && o3 < e3 - 2) {
            int t0 = multi[peek(s, b0)], t1 = multi[peek(s, b1)], t2 = multi[peek(s, b2)], t3 = multi[peek(s, b3)];
            put(syms, o0, t0);
            put(syms, o1, t1);
            put(syms, o2, t2);
            put(syms, o3, t3);
            o0 += t0 >>> 24 & 3;
            o1 += t1 >>> 24 & 3;
            o2 += t2 >>> 24 & 3;
            o3 += t3 >>> 24 & 3;
            b0 += t0 >>> 26;
            b1 += t1 >>> 26;
            b2 += t2 >>> 26;
            b3 += t3 >>> 26;
        }
        long[] ends = {finish(p, syms, o0, e0, b0), finish(p, syms, o1, e1, b1), finish(p, syms, o2, e2, b2), finish(p, syms, o3, e3, b3)};
        for (int lane = 0; lane < LANES; lane++) {
            long next = p.lane(c, lane + 1);
            if (ends[lane] < 0 || (ends[lane] + 7) >>> 3 != next) {
                return "chunk " + c + " lane " + lane + ": the stream " + (ends[lane] < 0 ? "holds a bit pattern that is no code"
                        : "ends at byte " + ((ends[lane] + 7) >>> 3) + " but the next lane starts at " + next) + " (corrupt stream or code lengths)";
            }
        }
        p.fields.merge(syms, p.raw, p.elements, first, m, out, scratch.raw, scratch.out);
        int width = p.fields.type.blockBytes;
        CRC32C crc = new CRC32C();
        crc.update(out.asSlice(first * width, (long) m * width).asByteBuffer());
        int want = p.crc.getAtIndex(Dequant.I32, c);
        if ((int) crc.getValue() != want) return "chunk " + c + ": CRC-32C " + Integer.toHexString((int) crc.getValue()) + " of the decoded bytes, expected " + Integer.toHexString(want);
        return null;
    }

    /** The rest of one lane: whole table entries while they fit, then single codes; the end bit position, or -1. */
    private static long finish(Parts p, byte[] syms, int o, int end, long b) {
        MemorySegment s = p.stream;
        while (o < end - 2) {
            int t = p.multi[peek(s, b)];
            put(syms, o, t);
            o += t >>> 24 & 3;
            b += t >>> 26;
        }
        while (o < end) {
            int e = p.single[peek(s, b)];
            if (e == 0) return -1;
            syms[o++] = (byte) e;
            b += e >>> 8;
        }
        return b;
    }

    /** The next {@link Huffman#MAX_BITS} bits from bit position {@code bit}. */
    private static int peek(MemorySegment s, long bit) {
        return (int) ((s.get(BE, bit >>> 3) << (bit & 7)) >>> SHIFT);
    }

    private static void put(byte[] syms, int o, int t) {
        syms[o] = (byte) t;
        syms[o + 1] = (byte) (t >>> 8);
        syms[o + 2] = (byte) (t >>> 16);
    }

    /** Bits written most significant first into a growing array. */
    private static final class BitWriter {
        private byte[] buf;
        private int size;
        private long acc;
        private int nacc;

        BitWriter(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        void write(int code, int len) {
            acc = acc << len | code;
            nacc += len;
            while (nacc >= 8) {
                nacc -= 8;
                if (size == buf.length) buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                buf[size++] = (byte) (acc >>> nacc);
            }
        }

        /** Pads the last byte with zero bits. */
        void align() {
            if (nacc > 0) write(0, 8 - nacc);
        }

        long size() {
            return size;
        }

        byte[] bytes() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }
}
