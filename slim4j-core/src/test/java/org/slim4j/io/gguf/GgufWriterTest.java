package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

class GgufWriterTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"})
    void rewritingAFixtureIsByteIdentical(String type) throws IOException {
        Path out = dir.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(Fixtures.gguf(type))) {
            GgufWriter w = new GgufWriter().putAll(f);
            f.tensors().forEach(w::addTensor);
            w.write(out);
        }
        assertEquals(-1, Files.mismatch(Fixtures.gguf(type), out));
    }

    @Test
    void everyValueTypeRoundTripsWithItsType() throws IOException {
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValueType.UINT8, 255)
                .put("i8", GgufValueType.INT8, -128)
                .put("u16", GgufValueType.UINT16, 65535)
                .put("i16", GgufValueType.INT16, -32768)
                .putUint32("u32", 0xffffffffL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putUint64("u64", -1L)
                .put("i64", GgufValueType.INT64, Long.MIN_VALUE)
                .putFloat32("f32", 0.1f)
                .put("f64", GgufValueType.FLOAT64, 0.1)
                .putBool("b", true)
                .putString("s", "héllo ✓")
                .putStrings("ss", List.of("a", "", "ü"))
                .putFloats("ff", new float[] {1.5f, -0f, Float.NaN})
                .putInts("ii", new int[] {7, -7})
                .putArray("u8s", GgufValueType.UINT8, List.of(0, 200))
                .putArray("nested", GgufValueType.ARRAY,
                        List.of(new GgufArray(GgufValueType.INT16, List.of(1, 2)), new GgufArray(GgufValueType.STRING, List.of("x"))))
                .putUint32("general.alignment", 64);
        float[] vals = {1f, -2.5f, 3.14159f, 65504f, 1e-8f, 0f, 100000f, -0.333f};
        w.addTensor("f32", new long[] {2, 4}, vals, DType.F32);
        w.addTensor("f16", new long[] {8}, vals, DType.F16);
        w.addTensor("bf16", new long[] {1, 8}, vals, DType.BF16);
        Path out = dir.resolve("all.gguf");
        w.write(out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "b", "s", "ss", "ff", "ii", "u8s",
                    "nested", "general.alignment"), List.copyOf(f.metadata().keySet()));
            assertEquals(255, f.value("u8"));
            assertEquals(GgufValueType.UINT8, f.typeOf("u8"));
            assertEquals(-128, f.value("i8"));
            assertEquals(65535, f.value("u16"));
            assertEquals(-32768, f.value("i16"));
            assertEquals(0xffffffffL, f.integer("u32"));
            assertEquals(Integer.MIN_VALUE, f.integer("i32"));
            assertEquals(-1L, f.value("u64"));
            assertThrows(org.slim4j.util.BadInputException.class, () -> f.integer("u64"));
            assertEquals(Long.MIN_VALUE, f.integer("i64"));
            assertEquals(0.1f, f.float32("f32"));
            assertEquals(0.1, f.value("f64"));
            assertTrue(f.bool("b"));
            assertEquals("héllo ✓", f.string("s"));
            assertEquals(List.of("a", "", "ü"), f.strings("ss"));
            assertArrayEquals(new float[] {1.5f, -0f, Float.NaN}, f.floats("ff"));
            assertArrayEquals(new int[] {7, -7}, f.ints("ii"));
            assertEquals(GgufValueType.UINT8, f.array("u8s").elementType());
            assertArrayEquals(new int[] {0, 200}, f.ints("u8s"));
            GgufArray nested = f.array("nested");
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            assertEquals(GgufValueType.INT16, ((GgufArray) nested.get(0)).elementType());
            assertEquals(List.of(List.of(1, 2), List.of("x")), nested);
            assertEquals(64, f.alignment());
            for (Tensor t : f.tensors()) assertEquals(0, f.offsetOf(t.name()) % 64, t.name());
            assertArrayEquals(vals, Dequant.toFloats(f.tensor("f32")));
            assertArrayEquals(new long[] {2, 4}, f.tensor("f32").shape());
            float[] h = Dequant.toFloats(f.tensor("f16"));
            float[] bf = Dequant.toFloats(f.tensor("bf16"));
            for (int i = 0; i < vals.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(vals[i])), h[i]);
                assertEquals(Dequant.bf16ToFloat(Dequant.floatToBf16(vals[i])), bf[i]);
            }
            assertEquals(0x3f80, Short.toUnsignedInt(f.tensor("bf16").data().get(Dequant.I16, 0)));
            assertEquals(0x3c00, Short.toUnsignedInt(f.tensor("f16").data().get(Dequant.I16, 0)));
        }
    }

    @Test
    void quantizedTensorBytesAreCopiedVerbatim() throws IOException {
        byte[] block = new byte[34];
        for (int i = 0; i < block.length; i++) block[i] = (byte) (i * 7 + 3);
        byte[] two = new byte[68];
        System.arraycopy(block, 0, two, 0, 34);
        System.arraycopy(block, 0, two, 34, 34);
        Path out = dir.resolve("q.gguf");
        new GgufWriter().addTensor("q", DType.Q8_0, new long[] {2, 32}, MemorySegment.ofArray(two)).write(out);
        try (GgufFile f = GgufFile.open(out)) {
            Tensor t = f.tensor("q");
            assertEquals(DType.Q8_0, t.dtype());
            assertArrayEquals(two, t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }

    /** Tensors made as the file is written (a quantizer's way) give the bytes of tensors given up front; a wrong size fails the write. */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q8_0"})
    void tensorsMadeWhileWritingGiveTheSameFile(String type) throws IOException {
        Path out = dir.resolve("lazy.gguf");
        try (GgufFile f = GgufFile.open(Fixtures.gguf(type))) {
            GgufWriter w = new GgufWriter().putAll(f);
            for (Tensor t : f.tensors()) {
                w.addTensor(t.name(), t.dtype(), t.shape(), a -> a.allocate(t.data().byteSize(), 64).copyFrom(t.data()));
            }
            w.write(out);
        }
        assertEquals(-1, Files.mismatch(Fixtures.gguf(type), out));
        Path bad = dir.resolve("bad.gguf");
        GgufWriter w = new GgufWriter().addTensor("t", DType.F32, new long[] {4}, a -> a.allocate(12));
        assertThrows(IllegalArgumentException.class, () -> w.write(bad));
        assertFalse(Files.exists(bad));
    }

    @Test
    void invalidInputIsRejectedBeforeWriting() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GgufValueType.UINT8, 256));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GgufValueType.UINT32, -1));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GgufValueType.STRING, 3));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("x", GgufValueType.INT8, List.of(1, 300)));
        assertThrows(IllegalArgumentException.class, () -> w.putUint32("general.alignment", 48));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.Q8_0, new long[] {33}, MemorySegment.ofArray(new byte[34])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.F32, new long[] {4}, MemorySegment.ofArray(new byte[12])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", DType.F32, new long[] {1, 1, 1, 1, 1}, MemorySegment.ofArray(new byte[4])));
        w.addTensor("t", new long[] {1}, new float[] {1}, DType.F32);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", new long[] {1}, new float[] {1}, DType.F32));
    }

    @Test
    void aFailedWriteLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path out = dir.resolve("model.gguf");
        Files.writeString(out, "previous contents");
        Arena arena = Arena.ofConfined();
        MemorySegment data = arena.allocate(4 * 1024 * 1024);
        GgufWriter w = new GgufWriter().putString("general.name", "x").addTensor("big", DType.F32, new long[] {1024 * 1024}, data);
        arena.close(); // the data vanishes after the header would have been written
        assertThrows(IllegalStateException.class, () -> w.write(out));
        assertEquals("previous contents", Files.readString(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(out), s.toList());
        }
    }
}
