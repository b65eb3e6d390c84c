package org.slim4j.compress.output;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.calib.GgufCalibration;
import org.slim4j.compress.calib.LayerResult;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.compress.quant.GgufBlocks;
import org.slim4j.compress.quant.GgufGptq;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufQuantizer;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.quant.BlockFit;

/**
 * A GGUF whose matrices are rounded by GPTQ into their ggml block types ({@link GgufGptq}), on the calibration
 * sequences, in GPTQ's sequential order ({@link GgufCalibration#sequential}): the tied token embedding first as the
 * output matrix (against the final norm's outputs of the original model), then block by block on what the already
 * rounded blocks produce. The types of the tensors are whatever {@code options} give (file type, llama.cpp's mix or
 * explicit per-tensor types, {@code --tensor-type} rules); types GPTQ has no grid for (F16, the smaller i-quants) are
 * left to {@link GgufQuantizer}'s encoders. The file is written by {@link GgufQuantizer} (atomically, llama.cpp's tensor
 * order and keys) with {@code quantize.gptq.*} keys recording the method and calibration.
 */
public final class GgufCalibrated {
    /** Every tensor's type, and the report line of every tensor GPTQ rounded (type, size, relative output error). */
    public record Result(GgufQuantizer.Result types, List<LayerResult> layers) {}

    private GgufCalibrated() {}

    /**
     * @param src      a GGUF with float weights (F32, F16, BF16)
     * @param sequences calibration token sequences
     * @param calibName what the calibration was (recorded in the file)
     */
    public static Result write(Path src, Path out, GgufQuantizer.Options options, int[][] sequences, boolean actOrder, double dampening, String calibName) {
        Map<String, DType> types;
        try (GgufFile g = GgufFile.open(src)) {
            types = GgufQuantizer.types(g, options);
        }
        Map<String, GgufBlocks> rounded = new LinkedHashMap<>();
        List<LayerResult> layers;
        GgufGptq gptq = new GgufGptq(types::get, dampening, actOrder);
        try (LlamaModel m = LlamaLoader.load(src)) {
            LlamaBlocks blocks = new LlamaBlocks(m, sequences);
            InputStats outputStats = GgufCalibration.outputStatistics(blocks);
            Map<String, DType> calibrated = new LinkedHashMap<>();
            types.forEach((k, v) -> {
                if (BlockFit.supports(v)) calibrated.put(k, v);
            });
            layers = GgufCalibration.sequential(blocks, calibrated, gptq, outputStats, rounded::put);
        }
        Map<String, String> keys = new LinkedHashMap<>(options.extraKeys());
        // short values: the header stays within the 32-byte alignment unit llama-quantize's imatrix keys take
        keys.put("quantize.gptq.method", String.format(Locale.ROOT, "gptq%s damp %.3g", actOrder ? " act-order" : "", dampening));
        keys.put("quantize.gptq.calibration", calibName);
        GgufQuantizer.Options o = options.extraKeys(keys).encoder((t, type, arena) -> {
            GgufBlocks b = rounded.get(t.name());
            if (b == null) return null;
            if (b.type() != type) throw new IllegalStateException(t.name() + " was rounded into " + b.type() + ", written as " + type);
            return MemorySegment.ofArray(b.data());
        });
        return new Result(GgufQuantizer.quantize(src, out, o), layers);
    }
}
