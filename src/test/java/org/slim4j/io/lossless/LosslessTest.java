package org.slim4j.io.lossless;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.ModelFiles;
import org.slim4j.io.TensorFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * The lossless coding: length-capped Huffman codes, every tensor decoding to its exact bytes (odd sizes, special
 * values, a single symbol), and corrupt files (bad code table, truncated stream, lying sizes, flipped bits) as one-line
 * errors naming the file and the tensor.
 */
class LosslessTest {
    @TempDir
    Path tmp;

    @Test
    void codeLengthsAreCappedCompleteAndOptimalWhenTheCapDoesNotBind() {
        long[] fib = new long[256];
        fib[0] = fib[1] = 1;
        for (int s = 2; s < 40; s++) fib[s] = fib[s - 1] + fib[s - 2]; // unconstrained Huffman would need 39 bits
        int[] len = Huffman.lengths(fib);
        assertNull(Huffman.problem(len));
        for (int l : len) assertTrue(l <= Huffman.MAX_BITS);
        long[] dyadic = new long[256];
        for (int s = 0; s < 8; s++) dyadic[s] = 1L << (8 - s);
        dyadic[8] = 1;
        int[] d = Huffman.lengths(dyadic);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 8}, java.util.Arrays.copyOf(d, 9));
        long[] one = new long[256];
        one[7] = 100;
        assertEquals(1, Huffman.lengths(one)[7]);
        assertNull(Huffman.problem(Huffman.lengths(one)));
    }

    @Test
    void everyTensorDecodesToItsExactBytes() {
        SplittableRandom r = new SplittableRandom(7);
        List<Tensor> ts = new ArrayList<>();
        ts.add(floats("bf16.weight", DType.BF16, 2 * ExponentCoding.CHUNK + 13, r, 0.02));
        ts.add(floats("f16.weight", DType.F16, ExponentCoding.CHUNK - 1, r, 0.05));
        ts.add(floats("f32.weight", DType.F32, 5003, r, 0.1));
        ts.add(floats("small.bias", DType.F32, 100, r, 1)); // stays plain
        MemorySegment same = MemorySegment.ofArray(new byte[2 * 8192]);
        for (int i = 0; i < 8192; i++) same.set(Dequant.I16, 2L * i, (short) 0x3c00);
        ts.add(new Tensor("same.weight", DType.F16, new long[] {8192}, same)); // one symbol
        MemorySegment special = MemorySegment.ofArray(new byte[4 * 4100]);
        float[] odd = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, 1e-40f};
        for (int i = 0; i < 4100; i++) special.set(Dequant.F32, 4L * i, i % 3 == 0 ? odd[i % odd.length] : (float) r.nextGaussian());
        special.set(Dequant.I32, 4, 0x7fc12345); // a NaN payload
        ts.add(new Tensor("special.weight", DType.F32, new long[] {41, 100}, special));
        Path out = tmp.resolve("coded.safetensors");
        List<LosslessWriter.Row> rows = LosslessWriter.write(ts, Map.of("format", "pt"), out);
        assertEquals(List.of(true, true, true, false, true, true), rows.stream().map(LosslessWriter.Row::coded).toList());
        assertTrue(rows.get(0).storedBytes() < 0.75 * rows.get(0).plainBytes(), "BF16 N(0, 0.02): " + rows.get(0));
        try (TensorFile f = ModelFiles.open(out)) {
            LosslessFile lf = assertInstanceOf(LosslessFile.class, f);
            assertEquals(5, lf.coded().size());
            assertEquals(ts.size(), f.tensors().size());
            for (int i = 0; i < ts.size(); i++) {
                Tensor want = ts.get(i), got = f.tensors().get(i);
                assertEquals(want.name(), got.name());
                assertEquals(want.dtype(), got.dtype());
                assertArrayEquals(want.shape(), got.shape());
                assertEquals(-1, want.data().mismatch(got.data()), want.name());
            }
        }
    }

    @Test
    void corruptFilesAreOneLineErrorsNamingFileAndTensor() {
        SplittableRandom r = new SplittableRandom(3);
        Path good = tmp.resolve("good.safetensors");
        LosslessWriter.write(List.of(floats("w", DType.BF16, 3 * ExponentCoding.CHUNK + 5, r, 0.02)), Map.of(), good);
        // a length over the cap; lengths that over-subscribe the code space
        assertBad(rewrite(good, "w" + LosslessFile.LENGTHS, s -> set(s, 0, 13)), "w.huff_lengths", "bad code table");
        assertBad(rewrite(good, "w" + LosslessFile.LENGTHS, s -> set(s, firstUsed(s), 1)), "w.huff_lengths", "bad code table");
        // a valid table that is not the one the stream was written with
        assertBad(rewrite(good, "w" + LosslessFile.LENGTHS, this::swapTwoLengths), "tensor 'w'", "chunk ");
        // truncated stream; a flipped bit in it; a lane offset that lies
        assertBad(rewrite(good, "w" + LosslessFile.STREAM, s -> s.asSlice(0, s.byteSize() - 100)), "w.huff_stream", "truncated stream");
        assertBad(rewrite(good, "w" + LosslessFile.STREAM, s -> set(s, 1000, s.get(ValueLayout.JAVA_BYTE, 1000) ^ 0x10)), "tensor 'w'", "chunk 0");
        assertBad(rewrite(good, "w" + LosslessFile.LANES, s -> {
            MemorySegment c = copy(s);
            c.setAtIndex(Dequant.I64, 2, c.getAtIndex(Dequant.I64, 2) + 3);
            return c;
        }), "tensor 'w'", "lane 1");
        // raw planes shorter than the shape needs; a CRC that differs
        assertBad(rewrite(good, "w" + LosslessFile.RAW, s -> s.asSlice(0, s.byteSize() - 1)), "w.huff_raw", "expected U8");
        assertBad(rewrite(good, "w" + LosslessFile.CRC, s -> set(s, 4, 1)), "tensor 'w'", "CRC-32C");
        Path noPart = tmp.resolve("nopart.safetensors");
        copyWithout(good, noPart, "w" + LosslessFile.CRC);
        assertBad(noPart, "tensor 'w'", "w.huff_crc32c is missing");
    }

    private static void assertBad(Path file, String field, String problem) {
        BadInputException e = assertThrows(BadInputException.class, () -> ModelFiles.open(file).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString()) && m.contains(field) && m.contains(problem), m);
        assertFalse(m.contains("\n"), m);
    }

    private Path rewrite(Path good, String part, UnaryOperator<MemorySegment> change) {
        Path out = tmp.resolve("bad-" + System.nanoTime() + ".safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(good)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (Tensor t : f.tensors()) {
                MemorySegment d = t.name().equals(part) ? change.apply(copy(t.data())) : t.data();
                w.add(t.name(), t.dtype(), new long[] {d.byteSize() / t.dtype().blockBytes}, d);
            }
            w.write(out);
        }
        return out;
    }

    private static void copyWithout(Path good, Path out, String part) {
        try (SafetensorsFile f = SafetensorsFile.open(good)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (Tensor t : f.tensors()) if (!t.name().equals(part)) w.add(t);
            w.write(out);
        }
    }

    private static MemorySegment copy(MemorySegment s) {
        MemorySegment c = MemorySegment.ofArray(new byte[(int) s.byteSize()]);
        c.copyFrom(s);
        return c;
    }

    private static MemorySegment set(MemorySegment s, long at, int value) {
        s.set(ValueLayout.JAVA_BYTE, at, (byte) value);
        return s;
    }

    private static int firstUsed(MemorySegment lengths) {
        for (int s = 0; s < 256; s++) if (lengths.get(ValueLayout.JAVA_BYTE, s) != 0) return s;
        throw new AssertionError();
    }

    /** Swaps the lengths of the two most frequent exponents' neighbours that differ: still a complete code. */
    private MemorySegment swapTwoLengths(MemorySegment s) {
        Map<Integer, Integer> firstOfLength = new LinkedHashMap<>();
        for (int i = 0; i < 256; i++) {
            int l = s.get(ValueLayout.JAVA_BYTE, i);
            if (l == 0) continue;
            firstOfLength.putIfAbsent(l, i);
        }
        List<Integer> syms = new ArrayList<>(firstOfLength.values());
        int a = syms.get(0), b = syms.get(1);
        byte la = s.get(ValueLayout.JAVA_BYTE, a), lb = s.get(ValueLayout.JAVA_BYTE, b);
        s.set(ValueLayout.JAVA_BYTE, a, lb);
        s.set(ValueLayout.JAVA_BYTE, b, la);
        return s;
    }

    /** Gaussian weights of standard deviation {@code std} in {@code type}. */
    static Tensor floats(String name, DType type, int n, SplittableRandom r, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * std);
        return new Tensor(name, type, new long[] {n}, org.slim4j.tensor.Floats.encode(v, type));
    }
}
