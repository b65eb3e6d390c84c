package org.slim4j.io.compressed;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.output.CompressedTensorsWriter;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.testutil.HfFolders;
import org.slim4j.util.BadInputException;

/** Issue 16: a compressed-tensors folder whose scales or codes lie is refused, naming the tensor, not decoded to NaN weights. */
class CompressedTensorsBadInputTest {

    @Test
    void nanScalesAreRefused(@TempDir Path dir) throws IOException {
        Path ct = folder(dir);
        Path st = ct.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(st)) {
            for (Tensor t : f.tensors()) {
                if (t.name().endsWith(".weight_scale")) {
                    byte[] nan = new byte[(int) t.data().byteSize()];
                    for (int i = 0; i < nan.length; i += 2) { nan[i] = 0x00; nan[i + 1] = 0x7e; } // fp16 NaN
                    w.add(t.name(), t.dtype(), t.shape(), MemorySegment.ofArray(nan));
                } else {
                    w.add(t.name(), t.dtype(), t.shape(), MemorySegment.ofArray(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
                }
            }
        }
        w.write(st);
        BadInputException e = assertThrows(BadInputException.class, () -> CompressedTensorsFile.openFolder(ct).close());
        assertTrue(e.getMessage().contains(".weight_scale") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void aGroupSizeThatDoesNotDivideTheColumnsNamesTheTensor(@TempDir Path dir) throws IOException {
        Path ct = folder(dir);
        Path cfg = ct.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"group_size\" : 32", "\"group_size\" : 24"));
        BadInputException e = assertThrows(BadInputException.class, () -> CompressedTensorsFile.openFolder(ct).close());
        assertTrue(e.getMessage().contains("weight_shape") && e.getMessage().contains("group 24"), e.getMessage());
    }

    /** Two 4 x 64 projections of nothing in particular, int4 g32 asymmetric. */
    private static Path folder(Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{\"model_type\": \"llama\"}");
        float[] v = new float[256];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i);
        new SafetensorsWriter().add("a.proj.weight", DType.F32, new long[] {4, 64}, v).add("b.proj.weight", DType.F32, new long[] {4, 64}, v)
                .write(src.resolve("model.safetensors"));
        Path ct = dir.resolve("ct");
        new CompressedTensorsWriter(DType.F16).write(src, HfFolders.compressAll(src, n -> true,
                w -> Rtn.quantize(w, new QuantScheme(4, 32, false), false, "rtn")), ct);
        assertTrue(Files.readString(ct.resolve("config.json")).contains("\"group_size\" : 32"), "the config layout this test edits");
        return ct;
    }
}
