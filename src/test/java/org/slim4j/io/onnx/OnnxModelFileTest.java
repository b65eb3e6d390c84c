package org.slim4j.io.onnx;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.onnx.proto.Onnx.GraphProto;
import org.slim4j.io.onnx.proto.Onnx.ModelProto;
import org.slim4j.io.onnx.proto.Onnx.NodeProto;
import org.slim4j.io.onnx.proto.Onnx.TensorProto;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

class OnnxModelFileTest {
    @TempDir
    Path dir;

    private Path write(String name, ModelProto m) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, m.toByteArray());
        return p;
    }

    private static TensorProto raw(String name, int type, byte[] bytes, long... dims) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(bytes));
        for (long d : dims) b.addDims(d);
        return b.build();
    }

    private static ModelProto model(TensorProto... inits) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("/m").addInput("x").addInput("w").addOutput("y"));
        for (TensorProto t : inits) g.addInitializer(t);
        return ModelProto.newBuilder().setIrVersion(7).setGraph(g).build();
    }

    @Test
    void readsRawAndTypedInitializersOffHeapAndKeepsTheGraph() throws Exception {
        byte[] f = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4).putFloat(5).putFloat(6).array();
        TensorProto typed = TensorProto.newBuilder().setName("ids").setDataType(TensorProto.DataType.INT64_VALUE).addDims(3)
                .addInt64Data(7).addInt64Data(-1).addInt64Data(1L << 40).build();
        TensorProto floats = TensorProto.newBuilder().setName("f").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2).addFloatData(0.5f).addFloatData(-2f).build();
        Path p = write("ok.onnx", model(raw("w", TensorProto.DataType.FLOAT_VALUE, f, 2, 3), typed, floats));
        try (OnnxModelFile m = OnnxModelFile.open(p)) {
            Tensor w = m.tensor("w");
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new long[] {2, 3}, w.shape());
            assertTrue(w.data().isNative(), "weights must live off-heap");
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, Dequant.toFloats(w));
            assertEquals(1L << 40, m.tensor("ids").data().getAtIndex(Dequant.I64, 2));
            assertEquals(-1L, m.tensor("ids").data().getAtIndex(Dequant.I64, 1));
            assertArrayEquals(new float[] {0.5f, -2f}, Dequant.toFloats(m.tensor("f")));
            assertEquals(0, m.graph().getInitializerCount(), "the proto's copy of the weights is dropped");
            assertEquals("/m", m.consumers("w").get(0).getName());
            assertEquals("/m", m.producer("y").orElseThrow().getName());
        }
    }

    @Test
    void truncatedFileNamesFileAndField() throws Exception {
        Path real = DefaultModels.files("all-minilm-l6-v2")[0];
        byte[] head = new byte[1 << 20];
        try (var in = Files.newInputStream(real)) {
            assertEquals(head.length, in.readNBytes(head, 0, head.length));
        }
        Path p = dir.resolve("truncated.onnx");
        Files.write(p, head);
        BadInputException e = assertThrows(BadInputException.class, () -> OnnxModelFile.open(p));
        assertTrue(e.getMessage().startsWith(p + ": ModelProto: not a valid ONNX protobuf"), e.getMessage());
        assertEquals("ModelProto", e.field());
    }

    @Test
    void garbageBytesAreRejected() throws Exception {
        byte[] junk = new byte[4096];
        new Random(3).nextBytes(junk);
        Path p = dir.resolve("junk.onnx");
        Files.write(p, junk);
        BadInputException e = assertThrows(BadInputException.class, () -> OnnxModelFile.open(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(e.field().equals("ModelProto") || e.field().equals("graph"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void modelWithoutGraph() throws Exception {
        Path p = write("nograph.onnx", ModelProto.newBuilder().setIrVersion(7).setProducerName("x").build());
        BadInputException e = assertThrows(BadInputException.class, () -> OnnxModelFile.open(p));
        assertEquals(p + ": graph: missing: not an ONNX model", e.getMessage());
    }

    @Test
    void rawDataThatDisagreesWithDims() throws Exception {
        Path p = write("short.onnx", model(raw("w", TensorProto.DataType.FLOAT_VALUE, new byte[20], 2, 3)));
        BadInputException e = assertThrows(BadInputException.class, () -> OnnxModelFile.open(p));
        assertEquals(p + ": initializer[w].raw_data: 20 bytes, but dims [2, 3] x F32 need 24", e.getMessage());
    }

    @Test
    void unsupportedTypeAndExternalData() throws Exception {
        Path p = write("complex.onnx", model(raw("c", TensorProto.DataType.COMPLEX64_VALUE, new byte[8], 1)));
        BadInputException e = assertThrows(BadInputException.class, () -> OnnxModelFile.open(p));
        assertEquals(p + ": initializer[c].data_type: unsupported data type COMPLEX64", e.getMessage());
        TensorProto ext = TensorProto.newBuilder().setName("e").setDataType(1).addDims(4).setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
        Path q = write("ext.onnx", model(ext));
        BadInputException e2 = assertThrows(BadInputException.class, () -> OnnxModelFile.open(q));
        assertEquals("initializer[e].data_location", e2.field());
    }

    @Test
    void missingInitializerIsNamedWhenMappingBert() throws Exception {
        byte[] f = new byte[4 * 8];
        Path p = write("notbert.onnx", model(raw("embeddings.position_embeddings.weight", 1, f, 2, 4)));
        Path tok = DefaultModels.files("all-minilm-l6-v2")[1];
        BadInputException e = assertThrows(BadInputException.class, () -> BertLoader.load(p, tok, Conventions.ALL_MINILM));
        assertEquals(p + ": embeddings.word_embeddings.weight: tensor not found", e.getMessage());
    }

    /** Issue 16: dims whose product overflows once gave "long overflow" (exit 1); dims larger than the data, a huge allocation. */
    @Test
    void lyingDimsAreRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        TensorProto overflow = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1L << 40).addDims(1L << 40).build();
        TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1L << 31).addDims(4).setRawData(ByteString.copyFrom(new byte[8])).build();
        for (TensorProto t : new TensorProto[] {overflow, huge}) {
            Path f = dir.resolve("m.onnx");
            Files.write(f, ModelProto.newBuilder().setGraph(GraphProto.newBuilder().addInitializer(t)).build().toByteArray());
            BadInputException e = assertThrows(BadInputException.class, () -> OnnxModelFile.open(f).close());
            assertTrue(e.getMessage().contains("initializer[w]"), e.getMessage());
        }
    }
}
