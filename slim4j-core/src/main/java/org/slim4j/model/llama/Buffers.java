package org.slim4j.model.llama;

/** Activation scratch for a forward pass over up to {@code rows} positions, reused across calls to avoid allocation. */
final class Buffers {
    final int rows;
    final float[] x, xb, q, k, v, att, proj, gate, up, cos, sin;
    final float[][] scores; // [head][position]

    Buffers(LlamaConfig c, int rows, int contextCapacity) {
        this.rows = rows;
        x = new float[rows * c.hidden()];
        xb = new float[rows * c.hidden()];
        q = new float[rows * c.qDim()];
        k = new float[rows * c.kvDim()];
        v = new float[rows * c.kvDim()];
        att = new float[rows * c.qDim()];
        proj = new float[rows * c.hidden()];
        gate = new float[rows * c.ffn()];
        up = new float[rows * c.ffn()];
        cos = new float[rows * c.headDim() / 2];
        sin = new float[rows * c.headDim() / 2];
        scores = new float[c.heads()][contextCapacity];
    }
}
