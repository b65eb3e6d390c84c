package org.slim4j.tensor.kernel;

/**
 * A linear layer held in a compressed form that has its own product kernel (2:4 sparse, a low-rank factor pair),
 * rather than as a dense matrix. Loaders attach one to the dense view of a layer through {@link NativeLinears}.
 */
public interface NativeLinear {
    int rows();

    int cols();

    /** y [n, rows] = x [n, cols] W^T (overwritten); {@code parallel}: split the work over the common pool. */
    void forward(float[] x, int n, float[] y, boolean parallel);

    /** Bytes of memory this form holds. */
    long bytes();

    /** Short name for reports: "2:4", "rank 96". */
    String kind();
}
