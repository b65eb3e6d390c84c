package org.slim4j.compress.output;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slim4j.compress.calib.EvoSearch;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.compress.calib.QuantCache;
import org.slim4j.compress.calib.TypeBudget;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.io.gguf.Imatrix;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;

/**
 * {@link EvoSearch} on a GGUF budget ({@code --search-generations}): from the types {@link GgufBudget} allocates, an
 * evolutionary search over the free tensors' types under the same byte budget, scored by the KL divergence to the
 * original model on the last calibration sequences (those the error curves' sensitivity probes use; with few
 * sequences the statistics' too): the first stage on {@value #FEW_SEQUENCES} x {@value #FEW_TOKENS} tokens, the second on
 * {@value #MORE_SEQUENCES} x {@value #MORE_TOKENS}. The tensors are rounded as the file without GPTQ rounds them (importance-weighted by the
 * options' imatrix); with {@code --gptq} the written file's rounding is better than the search's by a similar factor
 * for every type, so the search ranks assignments on the plain rounding.
 */
public final class GgufSearch {
    static final int FEW_SEQUENCES = 2, FEW_TOKENS = 128, MORE_SEQUENCES = 4, MORE_TOKENS = 256;

    private GgufSearch() {}

    /**
     * The searched types of every tensor (the curves' tensors changed, the rest as {@code types} has them).
     *
     * @param src       the float GGUF
     * @param sequences the calibration sequences
     * @param types     every tensor's type from the allocator (the search's start)
     * @param target    the most bytes the file may take
     */
    public static Result search(Path src, GgufQuantizer.Options options, int[][] sequences, GgufBudget.Curves curves, Map<String, DType> types,
            long target, EvoSearch.Options o) {
        long budget = target - curves.fixed();
        int more = Math.min(MORE_SEQUENCES, sequences.length);
        int[][] moreSeqs = new int[more][];
        for (int i = 0; i < more; i++) moreSeqs[i] = Arrays.copyOf(sequences[sequences.length - 1 - i], Math.min(MORE_TOKENS, sequences[sequences.length - 1 - i].length));
        int[][] fewSeqs = new int[Math.min(FEW_SEQUENCES, more)][];
        for (int i = 0; i < fewSeqs.length; i++) fewSeqs[i] = Arrays.copyOf(moreSeqs[i], Math.min(FEW_TOKENS, moreSeqs[i].length));
        Imatrix im = options.imatrix();
        try (LlamaModel m = LlamaLoader.load(src)) {
            LlamaBlocks few = new LlamaBlocks(m, fewSeqs), all = new LlamaBlocks(m, moreSeqs);
            Map<String, org.slim4j.tensor.Tensor> originals = new LinkedHashMap<>();
            for (TypeBudget.Curve c : curves.curves()) originals.put(c.tensor(), few.tensor(c.tensor()));
            try (QuantCache cache = new QuantCache(originals::get, im == null ? null : im::importance)) {
                EvoSearch.Result r = EvoSearch.search(few, all, curves.curves(), types, budget, cache::get, o);
                Map<String, DType> out = new LinkedHashMap<>(types);
                out.putAll(r.types());
                return new Result(out, r, cache.bytes(), fewSeqs.length * fewSeqs[0].length, more * moreSeqs[0].length);
            }
        }
    }

    /** The types, the search's record, the scratch bytes it mapped and the tokens of its two stages. */
    public record Result(Map<String, DType> types, EvoSearch.Result search, long scratchBytes, int fewTokens, int moreTokens) {}
}
