package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/** The outside reference: every tensor's exact dequantization hashes to what the fixture JSON (made from ggml) says. */
class GgufDequantHashTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"})
    void everyTensorMatchesTheReferenceHash(String type) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(Fixtures.FIXTURES.resolve("dequant-sha256-" + type + ".json").toFile());
        Set<String> names = new HashSet<>();
        Map<DType, Integer> checked = new HashMap<>();
        try (GgufFile f = GgufFile.open(Fixtures.gguf(type))) {
            for (Tensor t : f.tensors()) {
                names.add(t.name());
                assertTrue(expected.has(t.name()), "no reference hash for " + t.name());
                assertEquals(expected.get(t.name()).asText(), sha256(Dequant.toFloats(t)), t.toString());
                checked.merge(t.dtype(), 1, Integer::sum);
            }
        }
        Set<String> refNames = new HashSet<>();
        expected.fieldNames().forEachRemaining(refNames::add);
        assertEquals(refNames, names);
        assertTrue(checked.keySet().stream().anyMatch(DType::isQuantized), checked.toString());
    }

    static String sha256(float[] v) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bb.array()));
    }
}
