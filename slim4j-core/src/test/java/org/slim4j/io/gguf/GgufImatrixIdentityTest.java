package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.convert.HfToGguf;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/**
 * The outside reference for --imatrix: given llama-imatrix's file for tiny-llama-rand, every tensor slim4j quantizes is
 * byte for byte what `llama-quantize --imatrix` wrote (each k-quant mix, IQ4_XS/IQ4_NL, Q4_0, Q5_1; hashes and types
 * in imatrix-identity-sha256.json, made by scripts/make-imatrix-fixture.sh), in llama.cpp's tensor order and with its
 * quantize.imatrix.* keys. The token embedding has no imatrix entry (llama-imatrix never sees it as a matrix input);
 * it is checked once per type it takes.
 */
class GgufImatrixIdentityTest {
    static final Path DIR = Path.of("src/test/resources/org/slim4j/quant");
    static final Path IMATRIX = DIR.resolve("tiny-imatrix.gguf");
    @TempDir
    static Path tmp;
    static Path f32;
    static JsonNode ref;
    static final java.util.Set<DType> embeddingTypesChecked = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void setUp() throws Exception {
        f32 = tmp.resolve("tiny-f32.gguf");
        HfToGguf.convert(Fixtures.TINY_LLAMA, f32, DType.F32);
        ref = new ObjectMapper().readTree(DIR.resolve("imatrix-identity-sha256.json").toFile()).get("files");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_XS", "IQ4_NL", "Q4_0", "Q5_1"})
    void everyTensorAsLlamaQuantizeWroteIt(String type) throws Exception {
        JsonNode want = ref.get(type);
        Imatrix im = Imatrix.read(IMATRIX);
        GgufQuantizer.Options o = GgufQuantizer.Options.of(LlamaFileType.byName(type)).pure(false).imatrix(im);
        List<String> differing = new ArrayList<>();
        try (GgufFile in = GgufFile.open(f32); Arena arena = Arena.ofShared()) {
            im.checkAgainst(in, IMATRIX);
            Map<String, DType> types = GgufQuantizer.types(in, o);
            List<String> order = new ArrayList<>();
            for (Tensor t : GgufQuantizer.llamaOrder(in.tensors())) order.add(t.name());
            List<String> wantOrder = new ArrayList<>();
            want.get("order").forEach(n -> wantOrder.add(n.asText()));
            assertEquals(wantOrder, order, "llama.cpp's tensor order");
            for (Tensor t : in.tensors()) {
                JsonNode w = want.get("tensors").get(t.name());
                assertEquals(w.get("type").asText(), types.get(t.name()).name(), t.name());
                DType target = types.get(t.name());
                if (target == t.dtype()) continue;
                if (t.name().equals("token_embd.weight") && !embeddingTypesChecked.add(target)) continue;
                MemorySegment data = GgufQuantizer.encode(t, target, im.importance(t.name()), arena);
                if (!w.get("sha256").asText().equals(sha256(data))) differing.add(t.name() + " (" + target + ")");
            }
        }
        assertEquals(List.of(), differing, type + ": tensors whose bytes differ from llama-quantize --imatrix");
    }

    /** The whole path once, through a file: keys as llama-quantize writes them (uint32 counts, the imatrix path as given). */
    @Test
    void fileKeysAsLlamaQuantizeWritesThem() throws Exception {
        Path out = tmp.resolve("q4_k_m.gguf");
        GgufQuantizer.quantize(f32, out, GgufQuantizer.Options.of(LlamaFileType.MOSTLY_Q4_K_M).pure(false).imatrix(Imatrix.read(IMATRIX)));
        JsonNode want = ref.get("Q4_K_M");
        try (GgufFile g = GgufFile.open(out)) {
            List<String> keys = new ArrayList<>(g.metadata().keySet());
            List<String> wantKeys = new ArrayList<>();
            want.get("keys").fieldNames().forEachRemaining(wantKeys::add);
            assertEquals(wantKeys, keys.subList(keys.size() - wantKeys.size(), keys.size()));
            for (String k : wantKeys) {
                JsonNode v = want.get("keys").get(k);
                if (v.isTextual()) assertEquals(v.asText(), g.string(k), k);
                else assertEquals(v.asLong(), g.integer(k), k);
                if (!v.isTextual()) assertEquals(GgufValueType.UINT32, g.typeOf(k), k);
            }
            for (Tensor t : g.tensors()) assertEquals(want.get("tensors").get(t.name()).get("sha256").asText(), sha256(t.data()), t.name());
        }
    }

    static String sha256(MemorySegment m) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(m.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }
}
