package org.slim4j.model.llama;

import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.kernel.Hadamard;
import org.slim4j.tensor.kernel.TypeKernels;
import org.slim4j.tensor.quant.BlockCodecs;
import org.slim4j.tensor.quant.BlockEncoder;

/**
 * Rows of a ggml type (f16, q8_0, q4_0), as llama.cpp's quantized KV cache holds them: each head's row of a position
 * is quantized when it is written (ggml's reference quantizers; f16 rounds to nearest even) and read in place by the
 * type's fused dot and axpy kernels ({@link TypeKernels}), laid out [layer][kv head][position][row bytes]. Every
 * position is read from the stored form, the batch being written included, as in llama.cpp. With the Hadamard
 * rotation, rows are rotated before they are quantized; a key side rotates each query in place before scoring and a
 * value side rotates the summed output back.
 */
final class BlockRows implements KvCache.Keys, KvCache.Values {
    private final MemorySegment[] data;
    private final TypeKernels kernels;
    private final BlockEncoder encoder; // null for f16
    private final boolean hadamard;
    private final float[] row; // store's scratch: stores run on the session's thread
    private final byte[] block;
    private final int kvHeads, headDim, capacity, rowBytes;

    BlockRows(LlamaConfig c, int capacity, DType type, boolean hadamard) {
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.capacity = capacity;
        this.kernels = TypeKernels.of(type);
        this.encoder = type.isQuantized() ? BlockCodecs.encoder(type) : null;
        this.hadamard = hadamard && type.isQuantized();
        this.rowBytes = (int) type.bytesFor(headDim);
        this.row = new float[headDim];
        this.block = new byte[type.blockBytes];
        this.data = new MemorySegment[c.layers()];
        for (int l = 0; l < data.length; l++) data[l] = MemorySegment.ofArray(new byte[Math.multiplyExact(kvHeads * capacity, rowBytes)]);
    }

    private long offset(int g, int t) {
        return ((long) g * capacity + t) * rowBytes;
    }

    @Override
    public void store(int l, float[] rows, int n, int pos0) {
        int kvDim = kvHeads * headDim;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < kvHeads; g++) {
                float[] src = rows;
                int so = i * kvDim + g * headDim;
                if (hadamard) {
                    System.arraycopy(rows, so, row, 0, headDim);
                    Hadamard.transform(row, 0, headDim);
                    src = row;
                    so = 0;
                }
                long dst = offset(g, pos0 + i);
                if (encoder != null) encoder.encode(src, so, data[l], dst, headDim, block);
                else for (int j = 0; j < headDim; j++) data[l].set(Dequant.I16, dst + 2L * j, Float.floatToFloat16(src[so + j]));
            }
        }
    }

    @Override
    public void scores(int l, int g, float[] q, int qOff, int from, int pos, float scale, float[] s) {
        if (hadamard) Hadamard.transform(q, qOff, headDim);
        MemorySegment keys = data[l];
        for (int t = from; t <= pos; t++) s[t] = kernels.dot(keys, offset(g, t), q, qOff, headDim) * scale;
    }

    @Override
    public void accumulate(int l, int g, float[] s, float inv, int from, int pos, float[] out, int outOff) {
        MemorySegment values = data[l];
        for (int t = from; t <= pos; t++) kernels.axpy(s[t] * inv, values, offset(g, t), out, outOff, headDim);
        if (hadamard) Hadamard.transform(out, outOff, headDim);
    }

    @Override
    public long bytes() {
        return (long) data.length * data[0].byteSize();
    }
}
