package org.slim4j.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ggml itself, through scripts/ggml-oracle.sh (the libggml of the llama.cpp tools scripts/llama-cpp.sh installs):
 * quantization and dequantization of raw data, for checks that need no fixture. Tests using it skip where the tools
 * are not installed.
 */
public final class GgmlOracle {
    private static final Path SCRIPT = Fixtures.ROOT.resolve("scripts").resolve("ggml-oracle.sh");
    private static final Path LIB = Path.of(System.getProperty("user.home"), ".cache", "slim4j", "llama.cpp", "root", "usr", "lib",
            "x86_64-linux-gnu", "libggml-base.so.0");

    private GgmlOracle() {}

    public static boolean available() {
        return Files.exists(LIB) && Files.isExecutable(SCRIPT);
    }

    /** ggml_quantize_chunk(type, rows x cols, importance qw or null). */
    public static byte[] quantize(int ggmlType, float[] x, int rows, int cols, float[] qw) {
        try {
            List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString(), "quant", "" + ggmlType, "" + rows, "" + cols));
            Path qf = null;
            if (qw != null) {
                qf = Files.createTempFile("qw", ".f32");
                Files.write(qf, floats(qw));
                cmd.add(qf.toString());
            }
            byte[] out = run(cmd, floats(x));
            if (qf != null) Files.delete(qf);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ggml's to_float of n values of the type. */
    public static float[] dequantize(int ggmlType, byte[] blocks, int n) {
        byte[] out = run(List.of(SCRIPT.toString(), "dequant", "" + ggmlType, "" + n), blocks);
        float[] f = new float[n];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    public static byte[] floats(float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return bb.array();
    }

    private static byte[] run(List<String> cmd, byte[] in) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (OutputStream os = p.getOutputStream()) {
                    os.write(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] out;
            try (InputStream is = p.getInputStream()) {
                out = is.readAllBytes();
            }
            writer.join();
            if (p.waitFor() != 0) throw new IllegalStateException(cmd + " failed");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
