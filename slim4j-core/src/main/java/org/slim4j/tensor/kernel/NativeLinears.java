package org.slim4j.tensor.kernel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slim4j.tensor.Tensor;

/**
 * Which dense weight tensors have a {@link NativeLinear} to run instead: the loader that decoded a compressed layer
 * registers its kernel against the decoded tensor's memory, and the model's linear step looks it up. Keyed by the
 * tensor's off-heap address, so models keep their Tensor-typed weights (every other consumer, such as compression,
 * conversion or the decoder fast path, still sees the dense view) and a weight swapped in later has no entry.
 * {@link EngineOptions#nativeLinears} (-Dslim4j.native=false) or {@link #setEnabled} turns the lookup off, to compare
 * against the dense kernels.
 */
public final class NativeLinears {
    private static final Map<Long, NativeLinear> BY_ADDRESS = new ConcurrentHashMap<>();
    private static volatile boolean enabled = EngineOptions.defaults().nativeLinears();

    private NativeLinears() {}

    public static void register(Tensor dense, NativeLinear k) {
        if (!dense.data().isNative()) throw new IllegalArgumentException(dense + ": only off-heap weights can carry a kernel");
        if (dense.rows() != k.rows() || dense.cols() != k.cols()) throw new IllegalArgumentException(dense + " is not " + k.rows() + " x " + k.cols());
        BY_ADDRESS.put(dense.data().address(), k);
    }

    public static void unregister(Tensor dense) {
        if (dense.data().isNative()) BY_ADDRESS.remove(dense.data().address());
    }

    /** The kernel registered for this weight, or null (also when disabled). */
    public static NativeLinear find(Tensor w) {
        if (!enabled || BY_ADDRESS.isEmpty() || !w.data().isNative()) return null;
        NativeLinear k = BY_ADDRESS.get(w.data().address());
        return k != null && k.rows() == w.rows() && k.cols() == w.cols() ? k : null;
    }

    public static void setEnabled(boolean on) {
        enabled = on;
    }

    public static boolean enabled() {
        return enabled;
    }
}
