package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

/** Every malformation must fail as a one-line BadInputException naming the file and the field, never OOM. */
class GgufBadInputTest {
    private static final int Q8_0 = 8, F32 = 0;

    @TempDir
    Path dir;

    private void assertBad(byte[] bytes, String... expectedParts) throws IOException {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bytes);
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(p).close());
        String m = e.getMessage();
        assertTrue(m.contains("bad.gguf"), m);
        assertFalse(m.contains("\n"), m);
        for (String part : expectedParts) assertTrue(m.contains(part), "'" + part + "' not in: " + m);
    }

    private static RawGguf valid() {
        return valid(3);
    }

    /** One F32 tensor of 8 values and one Q8_0 tensor of 2x32, laid out as llama.cpp would. */
    private static RawGguf valid(int version) {
        RawGguf g = new RawGguf().header(version, 2, 1).kvString("general.architecture", "llama");
        g.tensor("a", new long[] {8}, F32, 0).tensor("b", new long[] {32, 2}, Q8_0, 32);
        // No padding after the last tensor: a reader must not require it (files are valid up to the last byte of data).
        return g.padTo(32).zeros(32 + 68);
    }

    @Test
    void theValidBaseFileOpens() throws IOException {
        Path p = dir.resolve("ok.gguf");
        Files.write(p, valid().bytes());
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.tensors().size());
            assertArrayEquals(new long[] {2, 32}, f.tensor("b").shape());
            assertEquals("llama", f.string("general.architecture"));
        }
    }

    @Test
    void versionTwoHasTheSameLayout() throws IOException {
        Path p = dir.resolve("v2.gguf");
        Files.write(p, valid(2).bytes());
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.version());
            assertEquals(160, f.dataOffset());
            assertEquals(32, f.offsetOf("b"));
        }
    }

    @Test
    void badMagic() throws IOException {
        byte[] b = valid().bytes();
        b[0] = 'X';
        assertBad(b, "magic");
    }

    @Test
    void versionOneAndUnknownVersions() throws IOException {
        assertBad(new RawGguf().header(1, 0, 0).bytes(), "version", "v1");
        assertBad(new RawGguf().header(99, 0, 0).bytes(), "version", "99");
        assertBad(new RawGguf().header(Integer.reverseBytes(3), 0, 0).bytes(), "version", "big-endian");
    }

    @Test
    void truncatedAnywhere() throws IOException {
        byte[] whole = valid().bytes();
        for (int n = 0; n < whole.length; n++) {
            Path p = dir.resolve("cut.gguf");
            Files.write(p, Arrays.copyOf(whole, n));
            int len = n;
            BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(p).close(), "cut at " + len);
            assertTrue(e.getMessage().contains("cut.gguf"), e.getMessage());
        }
    }

    @Test
    void truncatedFixtureHeaderMetadataAndData() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.gguf("Q4_0"));
        assertBad(Arrays.copyOf(whole, 20), "tensor_count", "truncated");
        assertBad(Arrays.copyOf(whole, 1000), "metadata", "truncated");
        assertBad(Arrays.copyOf(whole, 1_769_000), "tensor", "truncated");
        assertBad(Arrays.copyOf(whole, whole.length - 100), "tensor '", "past the end");
    }

    @Test
    void lyingStringLength() throws IOException {
        byte[] b = new RawGguf().header(3, 0, 1).u64(1L << 60).zeros(64).bytes();
        assertBad(b, "metadata key #0", "1152921504606846976");
        byte[] v = new RawGguf().header(3, 0, 1).str("general.name").u32(8).u64(1L << 60).zeros(64).bytes();
        assertBad(v, "metadata 'general.name'", "larger than");
        byte[] t = new RawGguf().header(3, 1, 0).u64(-1L).zeros(64).bytes();
        assertBad(t, "tensor #0 name");
    }

    @Test
    void lyingArrayLengthAndCounts() throws IOException {
        byte[] b = new RawGguf().header(3, 0, 1).str("tokenizer.ggml.scores").u32(9).u32(6).u64(1L << 60).zeros(64).bytes();
        assertBad(b, "metadata 'tokenizer.ggml.scores'", "array length");
        byte[] nested = new RawGguf().header(3, 0, 1).str("x").u32(9).u32(9).u64(1).u32(8).u64(1L << 61).bytes();
        assertBad(nested, "metadata 'x'[0]", "array length");
        assertBad(new RawGguf().header(3, 1L << 60, 0).bytes(), "tensor_count");
        assertBad(new RawGguf().header(3, 0, -1).bytes(), "metadata_kv_count");
    }

    @Test
    void unknownValueType() throws IOException {
        byte[] b = new RawGguf().header(3, 0, 1).str("general.name").u32(13).zeros(16).bytes();
        assertBad(b, "metadata 'general.name'", "unknown value type 13");
        byte[] a = new RawGguf().header(3, 0, 1).str("arr").u32(9).u32(99).u64(0).bytes();
        assertBad(a, "metadata 'arr' element", "unknown value type 99");
    }

    @Test
    void badBoolAndDuplicateKey() throws IOException {
        assertBad(new RawGguf().header(3, 0, 1).str("flag").u32(7).u8(2).bytes(), "metadata 'flag'", "bool");
        byte[] dup = new RawGguf().header(3, 0, 2).kvU32("k", 1).kvU32("k", 2).bytes();
        assertBad(dup, "metadata 'k'", "duplicate");
    }

    @Test
    void badAlignment() throws IOException {
        assertBad(new RawGguf().header(3, 0, 1).kvU32("general.alignment", 24).bytes(), "general.alignment", "power of two");
        byte[] str = new RawGguf().header(3, 0, 1).kvString("general.alignment", "32").bytes();
        assertBad(str, "general.alignment", "uint32");
    }

    private static byte[] oneTensor(String name, long[] ne, int type, long offset, int dataBytes) {
        return new RawGguf().header(3, 1, 0).tensor(name, ne, type, offset).padTo(32).zeros(dataBytes).bytes();
    }

    @Test
    void unknownGgmlType() throws IOException {
        assertBad(oneTensor("blk.0.attn_q.weight", new long[] {32}, 99, 0, 128), "tensor 'blk.0.attn_q.weight'", "unknown ggml type 99");
        // 4, 5 were Q4_2/Q4_3, removed from ggml: ids exist but no layout.
        assertBad(oneTensor("w", new long[] {32}, 4, 0, 128), "tensor 'w'", "unknown ggml type 4");
        assertBad(oneTensor("w", new long[] {256}, 29, 0, 128), "tensor 'w'", "IQ1_M (29) is not supported yet");
    }

    @Test
    void tooManyDims() throws IOException {
        assertBad(oneTensor("w", new long[] {1, 1, 1, 1, 1}, F32, 0, 32), "tensor 'w'", "n_dims 5");
    }

    @Test
    void rowNotWholeBlocks() throws IOException {
        assertBad(oneTensor("w", new long[] {33, 2}, Q8_0, 0, 256), "tensor 'w'", "whole number of Q8_0 blocks");
    }

    @Test
    void negativeOrOverflowingDims() throws IOException {
        assertBad(oneTensor("w", new long[] {-1}, F32, 0, 32), "tensor 'w'", "ne[0]");
        assertBad(oneTensor("w", new long[] {1L << 40, 1L << 40}, F32, 0, 32), "tensor 'w'", "overflow");
    }

    @Test
    void dataPastEndOfFile() throws IOException {
        assertBad(oneTensor("w", new long[] {64}, F32, 0, 128), "tensor 'w'", "past the end");
        assertBad(oneTensor("w", new long[] {8}, F32, 1L << 40, 32), "tensor 'w'", "past the end");
        assertBad(oneTensor("w", new long[] {8}, F32, Long.MAX_VALUE & ~31L, 32), "tensor 'w'", "past the end");
        assertBad(oneTensor("w", new long[] {8}, F32, -32, 32), "tensor 'w'", "offset");
    }

    @Test
    void misalignedOffset() throws IOException {
        assertBad(oneTensor("w", new long[] {8}, F32, 4, 64), "tensor 'w'", "not a multiple of the alignment 32");
    }

    @Test
    void overlappingTensors() throws IOException {
        byte[] b = new RawGguf().header(3, 2, 0).tensor("a", new long[] {16}, F32, 0).tensor("b", new long[] {8}, F32, 32)
                .padTo(32).zeros(128).bytes();
        assertBad(b, "tensor 'b'", "overlaps tensor 'a'");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        byte[] b = new RawGguf().header(3, 2, 0).tensor("a", new long[] {8}, F32, 0).tensor("a", new long[] {8}, F32, 32)
                .padTo(32).zeros(64).bytes();
        assertBad(b, "tensor 'a'", "duplicate");
    }

    @Test
    void deeplyNestedArraysFailWithoutStackOverflow() throws IOException {
        RawGguf g = new RawGguf().header(3, 0, 1).str("deep").u32(9);
        for (int i = 0; i < 100_000; i++) g.u32(9).u64(1);
        assertBad(g.bytes(), "metadata 'deep'", "nested");
    }
}
