package org.slim4j.compress.output;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.calib.GgufCalibration;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.compress.calib.TypeBudget;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.io.gguf.TensorTypeRule;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * The per-tensor types of a GGUF of at most a given size ({@code --target-size}, {@code --target-bpw}): every matrix
 * that has calibration inputs (the blocks' linears, and the token embedding when it is tied to the output) and that no
 * {@code --tensor-type} rule names takes the type {@link TypeBudget} allocates from its error curve; the other tensors
 * keep what the options give them (llama.cpp's mix, a rule, their float type), and their bytes and the file's header
 * come off the budget first.
 */
public final class GgufBudget {
    /** The types a budget chooses among (each where the rows are whole blocks of it), from 2.625 to 8.5 bits per weight. */
    public static final List<DType> CANDIDATES = List.of(DType.Q2_K, DType.Q3_K, DType.IQ4_XS, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.Q8_0);

    /**
     * The error curves of the free tensors, the types of the others ({@code base}), and the bytes the others and the
     * header take ({@code fixed}); {@link #types} allocates a size.
     */
    public record Curves(Map<String, DType> base, List<TypeBudget.Curve> curves, long fixed, String flag) {
        /** Every tensor's type for a file of at most {@code target} bytes. */
        public Map<String, DType> types(long target) {
            long budget = target - fixed;
            Map<String, DType> chosen = budget > 0 ? TypeBudget.allocate(curves, budget) : null;
            if (chosen == null) {
                long smallest = fixed;
                for (TypeBudget.Curve c : curves) smallest += c.cheapest().bytes();
                throw new BadInputException(flag, null, String.format(Locale.ROOT, "%d bytes is below the smallest file of these types (%d bytes: every free matrix in %s, the rest as fixed)",
                        target, smallest, CANDIDATES.getFirst()));
            }
            Map<String, DType> types = new LinkedHashMap<>();
            base.forEach((k, v) -> types.put(k, chosen.getOrDefault(k, v)));
            return types;
        }

        /** The predicted KL divergence of an assignment. */
        public double predicted(Map<String, DType> types) {
            return TypeBudget.predicted(curves, types);
        }
    }

    /**
     * The error curves on {@code src} under {@code options}.
     *
     * @param src       a GGUF with float weights
     * @param sequences calibration sequences (up to 16 give the statistics; two more, cut to 128 tokens, the sensitivities)
     * @param flag      the option the budget came from, for errors
     */
    public static Curves curves(Path src, GgufQuantizer.Options options, int[][] sequences, String flag) {
        Map<String, DType> base;
        long header;
        List<Tensor> tensors;
        try (GgufFile g = GgufFile.open(src)) {
            base = GgufQuantizer.types(g, options);
            tensors = g.tensors();
            long data = 0;
            for (Tensor t : tensors) data += t.data().byteSize();
            // header and metadata as the source has them, plus alignment padding per tensor and the keys slim4j adds
            header = java.nio.file.Files.size(src) - data + (long) g.alignment() * tensors.size() + 4096;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("sizing " + src, e);
        }
        try (LlamaModel m = LlamaLoader.load(src)) {
            int[][] statSeqs = Arrays.copyOf(sequences, Math.min(16, sequences.length));
            LlamaBlocks blocks = new LlamaBlocks(m, statSeqs);
            String emb = blocks.extraTensors().getFirst();
            boolean tied = blocks.extraTensors().size() == 1;
            Map<String, List<DType>> candidates = new LinkedHashMap<>();
            long fixed = header;
            for (Tensor t : tensors) {
                DType type = base.get(t.name());
                boolean linear = t.name().startsWith("blk.") && GgufQuantizer.isMatrix(t);
                boolean output = tied ? t.name().equals(emb) : t.name().equals(blocks.extraTensors().getLast());
                boolean ruled = options.rules().stream().anyMatch(r -> r.matches(t.name()));
                if ((linear || output) && !ruled) {
                    List<DType> c = new ArrayList<>();
                    for (DType d : CANDIDATES) if (t.cols() % d.blockSize == 0) c.add(d);
                    if (!c.isEmpty()) {
                        candidates.put(t.name(), c);
                        continue;
                    }
                }
                fixed += t.rows() * type.bytesFor(Math.toIntExact(t.cols()));
            }
            if (candidates.isEmpty()) throw new BadInputException(flag, null, "no tensor is left for the budget to choose a type for (--tensor-type names them all)");
            int probeCount = Math.min(2, sequences.length);
            int[][] probe = new int[probeCount][];
            for (int i = 0; i < probeCount; i++) {
                int[] s = sequences[sequences.length - 1 - i];
                probe[i] = Arrays.copyOf(s, Math.min(128, s.length));
            }
            List<TypeBudget.Curve> curves = TypeBudget.curves(new LlamaBlocks(m, probe), blocks, candidates, DType.Q3_K);
            return new Curves(base, curves, fixed, flag);
        }
    }

    /** The smallest file the free tensors can make: for checking a budget before calibration spends its time. */
    public static long smallest(Path src, GgufQuantizer.Options options) {
        try (GgufFile g = GgufFile.open(src)) {
            Map<String, DType> base = GgufQuantizer.types(g, options);
            long total = 0;
            for (Tensor t : g.tensors()) {
                DType type = GgufQuantizer.isMatrix(t) && t.cols() % CANDIDATES.getFirst().blockSize == 0
                        && options.rules().stream().noneMatch(r -> r.matches(t.name())) ? CANDIDATES.getFirst() : base.get(t.name());
                total += t.rows() * type.bytesFor(Math.toIntExact(t.cols()));
            }
            return total;
        }
    }
}
