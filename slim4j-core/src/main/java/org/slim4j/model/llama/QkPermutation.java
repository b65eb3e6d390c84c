package org.slim4j.model.llama;

import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.Tensor;

/**
 * llama.cpp's reordering of Q/K rows (convert_hf_to_gguf.py, LlamaModel.permute): within each head, HF row
 * j (j < d/2) moves to 2j and row j + d/2 to 2j + 1, so ggml's adjacent-pair RoPE rotates what HF rotate-half
 * rotates. {@link #unpermute} is the inverse. Rows are moved as raw bytes, so any dtype works.
 */
public final class QkPermutation {
    private QkPermutation() {}

    public static Tensor permute(Tensor w, int heads) {
        return move(w, heads, true);
    }

    public static Tensor unpermute(Tensor w, int heads) {
        return move(w, heads, false);
    }

    private static Tensor move(Tensor w, int heads, boolean forward) {
        long rows = w.rows();
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(w.name() + ": " + rows + " rows do not split into " + heads + " heads of even size");
        }
        int d = (int) (rows / heads), half = d / 2;
        long rb = w.rowBytes();
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(w.data().byteSize())]);
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < d; j++) {
                int ggmlRow = j < half ? 2 * j : 2 * (j - half) + 1;
                long src = (long) h * d + (forward ? j : ggmlRow);
                long dst = (long) h * d + (forward ? ggmlRow : j);
                MemorySegment.copy(w.data(), src * rb, out, dst * rb, rb);
            }
        }
        return new Tensor(w.name(), w.dtype(), w.shape(), out);
    }
}
