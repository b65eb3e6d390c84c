package org.slim4j.compress;

/**
 * A method whose choice for one layer depends on every layer (a global budget, such as ranks allocated from one
 * parameter budget): the layer-wise pipeline first runs {@link #probe} over the unchanged model, then calls
 * {@link #allocate}, then runs the method itself.
 */
public interface GlobalAllocation {
    /** A pass that records what the allocation needs and changes nothing. */
    Compressor probe();

    /** Called once the probe has seen every layer the method targets. */
    void allocate();
}
