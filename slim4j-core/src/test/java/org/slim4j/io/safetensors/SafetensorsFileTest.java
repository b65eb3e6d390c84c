package org.slim4j.io.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    @Test
    void opensFixtureFolder() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.TINY_LLAMA)) {
            assertEquals(38, f.tensors().size()); // 1 embedding + 4 x 9 per layer + final norm
            Tensor emb = f.tensor("model.embed_tokens.weight");
            assertEquals(DType.BF16, emb.dtype());
            assertArrayEquals(new long[] {49152, 256}, emb.shape());
            assertEquals(49152L * 256 * 2, emb.data().byteSize());
            assertTrue(emb.data().isMapped());
            BadInputException e = assertThrows(BadInputException.class, () -> f.tensor("lm_head.weight"));
            assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
        }
    }

    @Test
    void roundTripKeepsBytesAndMetadata() {
        float[] vals = {1f, -2.5f, 3.25f, 0.125f, 65504f, -0f}; // exact in F16; BF16 rounds 65504
        Path out = tmp.resolve("t.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .add("a", DType.F32, new long[] {2, 3}, vals)
                .add("b", DType.F16, new long[] {6}, vals)
                .add("c", DType.BF16, new long[] {3, 2}, vals)
                .write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertArrayEquals(vals, Dequant.toFloats(f.tensor("a")));
            assertArrayEquals(vals, Dequant.toFloats(f.tensor("b")));
            float[] bf = Dequant.toFloats(f.tensor("c"));
            assertEquals(3.25f, bf[2]);
            assertEquals(0.125f, bf[3]);
            assertEquals(65536f, bf[4]);
            assertArrayEquals(new long[] {3, 2}, f.tensor("c").shape());
        }
        // The data section starts 8-byte aligned.
        assertEquals(0, (8 + headerLength(out)) % 8);
    }

    @Test
    void rewritingFixtureKeepsEveryTensorByte() throws IOException {
        Path out = tmp.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.TINY_LLAMA)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            f.tensors().forEach(w::add);
            w.write(out);
            try (SafetensorsFile g = SafetensorsFile.open(out)) {
                assertEquals(f.tensors().size(), g.tensors().size());
                for (Tensor t : f.tensors()) {
                    Tensor u = g.tensor(t.name());
                    assertEquals(t.dtype(), u.dtype());
                    assertArrayEquals(t.shape(), u.shape());
                    assertEquals(-1, t.data().mismatch(u.data()), t.name());
                }
            }
        }
        assertFalse(Files.exists(tmp.resolve("copy.safetensors.tmp")));
    }

    @Test
    void shardedIndexMapsNamesToShards() throws IOException {
        new SafetensorsWriter().add("x", DType.F32, new long[] {2}, new float[] {1, 2}).write(tmp.resolve("s1.safetensors"));
        new SafetensorsWriter().add("y", DType.F32, new long[] {1}, new float[] {3}).write(tmp.resolve("s2.safetensors"));
        Files.writeString(tmp.resolve("model.safetensors.index.json"),
                "{\"metadata\":{},\"weight_map\":{\"x\":\"s1.safetensors\",\"y\":\"s2.safetensors\"}}");
        try (SafetensorsFile f = SafetensorsFile.open(tmp)) {
            assertArrayEquals(new float[] {1, 2}, Dequant.toFloats(f.tensor("x")));
            assertArrayEquals(new float[] {3}, Dequant.toFloats(f.tensor("y")));
        }
        Files.writeString(tmp.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"x\":\"s1.safetensors\",\"z\":\"s2.safetensors\"}}");
        assertBad(tmp, "s2.safetensors", "tensor 'z'");
    }

    @Test
    void truncatedFile() throws IOException {
        Path p = copyFixture();
        byte[] b = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(b, b.length - 100));
        assertBad(p, "model.safetensors", "data_offsets");
        Files.write(p, Arrays.copyOf(b, 5));
        assertBad(p, "model.safetensors", "header length");
    }

    @Test
    void headerLengthPastEnd() throws IOException {
        Path p = tmp.resolve("model.safetensors");
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
        Files.write(p, bb.array());
        assertBad(p, "model.safetensors", "header length");
        bb.putLong(0, Long.MAX_VALUE);
        Files.write(p, bb.array());
        assertBad(p, "model.safetensors", "header length");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        Path p = writeRaw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,9999]}}", 16);
        BadInputException e = assertBad(p, "model.safetensors", "tensor 'w'");
        assertTrue(e.getMessage().contains("data_offsets"), e.getMessage());
    }

    @Test
    void shapeTimesDtypeMismatch() throws IOException {
        Path p = writeRaw("{\"lm_head.weight\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,10]}}", 10);
        BadInputException e = assertBad(p, "model.safetensors", "tensor 'lm_head.weight'");
        assertTrue(e.getMessage().contains("data_offsets [0, 10] hold 10 bytes but shape [4, 4] x F32 needs 64"), e.getMessage());
    }

    @Test
    void overlapGapUnknownDtypeBadJsonAndMetadata() throws IOException {
        assertBad(writeRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "model.safetensors", "tensor 'b'");
        assertBad(writeRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "model.safetensors", "tensor 'a'");
        assertBad(writeRaw("{\"a\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "model.safetensors", "dtype 'Q9'");
        assertBad(writeRaw("{\"a\":", 0), "model.safetensors", "header");
        assertBad(writeRaw("{\"__metadata__\":{\"k\":1}}", 0), "model.safetensors", "__metadata__['k']");
        Path p = tmp.resolve("model.safetensors");
        byte[] bad = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put(bad).array());
        assertBad(p, "model.safetensors", "UTF-8");
    }

    private Path copyFixture() throws IOException {
        Path p = tmp.resolve("model.safetensors");
        Files.copy(Fixtures.TINY_LLAMA.resolve("model.safetensors"), p);
        return p;
    }

    private Path writeRaw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h);
        Path p = tmp.resolve("model.safetensors");
        Files.write(p, bb.array());
        return p;
    }

    private static long headerLength(Path p) {
        try {
            byte[] b = Files.readAllBytes(p);
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static BadInputException assertBad(Path p, String file, String field) {
        BadInputException e = assertThrows(BadInputException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().contains(file), e.getMessage());
        assertTrue(e.getMessage().contains(field), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }
}
