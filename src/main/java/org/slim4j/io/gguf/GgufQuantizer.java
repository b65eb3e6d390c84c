package org.slim4j.io.gguf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.quant.BlockCodecs;
import org.slim4j.tensor.quant.BlockEncoder;
import org.slim4j.tensor.quant.ImatrixEncoder;

/**
 * Re-encodes a GGUF with float weights (F32, F16, BF16) the way {@code llama-quantize --pure} does: every 2-D-or-more
 * tensor whose name ends in "weight" (token_embd included) becomes the file type's block type; 1-D tensors
 * (norms, rope_freqs) are copied as they are; metadata is copied in order, then general.quantization_version (2)
 * and general.file_type are set at the end, as gguf_set_val moves a key there. With the reference encoders this
 * reproduces llama.cpp's tensor bytes exactly. A matrix whose rows are not whole blocks takes {@code fallback}
 * (which must fit it) and is listed in the result; with no fallback it is an error. The write is atomic.
 */
public final class GgufQuantizer {
    /** The type each tensor was written as, and the tensors that took the fallback type, in file order. */
    public record Result(Map<String, DType> types, List<String> fallbacks) {}

    private GgufQuantizer() {}

    public static Result quantize(Path src, Path dst, LlamaFileType fileType, DType fallback) {
        return quantize(src, dst, fileType, fallback, true);
    }

    /**
     * {@code pure} false applies llama.cpp's per-tensor mix, so far only for Q4_K_M and Q5_K_M (llama_tensor_get_type):
     * the output matrix (token_embd when tied) and attn_v / ffn_down of the layers use_more_bits picks get Q6_K.
     */
    public static Result quantize(Path src, Path dst, LlamaFileType fileType, DType fallback, boolean pure) {
        return quantize(src, dst, fileType, fallback, pure, null);
    }

    /**
     * With an importance matrix, as llama-quantize --imatrix: each tensor it covers is encoded by the
     * importance-weighted quantizer ({@link ImatrixEncoder}), and quantize.imatrix.{file,dataset,entries_count,
     * chunks_count} are recorded after general.file_type, followed by general.quantized_by = "slim4j" (written only
     * here, so the unweighted path still reproduces llama-quantize's files byte for byte).
     */
    public static Result quantize(Path src, Path dst, LlamaFileType fileType, DType fallback, boolean pure, Imatrix imatrix) {
        if (!pure && fileType != LlamaFileType.MOSTLY_Q4_K_M && fileType != LlamaFileType.MOSTLY_Q5_K_M) {
            throw new UnsupportedOperationException("llama.cpp's tensor mix is implemented for Q4_K_M and Q5_K_M only, not " + fileType);
        }
        try (GgufFile in = GgufFile.open(src); Arena arena = Arena.ofShared()) {
            GgufWriter w = new GgufWriter();
            in.metadata().forEach((k, v) -> {
                if (!k.equals("general.quantization_version") && !k.equals("general.file_type")) w.put(k, in.typeOf(k), v);
            });
            w.putUint32("general.quantization_version", 2);
            w.putUint32("general.file_type", fileType.id);
            if (imatrix != null) {
                if (!ImatrixEncoder.supports(fileType.matrixType)) {
                    throw new UnsupportedOperationException("importance-weighted " + fileType.matrixType + " is not implemented (Q4_0, Q6_K and Q8_0 are)");
                }
                w.putString("quantize.imatrix.file", imatrix.file());
                w.putString("quantize.imatrix.dataset", imatrix.dataset());
                w.putInt32("quantize.imatrix.entries_count", imatrix.entries().size());
                w.putInt32("quantize.imatrix.chunks_count", imatrix.chunks());
                w.putString("general.quantized_by", "slim4j");
            }
            Map<String, DType> types = new LinkedHashMap<>();
            List<String> fallbacks = new ArrayList<>();
            Mix mix = pure ? null : new Mix(in);
            for (Tensor t : in.tensors()) {
                DType target = targetType(t, fileType.matrixType);
                if (mix != null && target == fileType.matrixType) target = mix.type(t.name(), target);
                if (target != t.dtype() && t.cols() % target.blockSize != 0) {
                    if (fallback == null) {
                        throw new IllegalArgumentException(t.name() + ": rows of " + t.cols() + " are not whole " + target
                                + " blocks of " + target.blockSize + " and no fallback type was given");
                    }
                    if (t.cols() % fallback.blockSize != 0) {
                        throw new IllegalArgumentException(t.name() + ": rows of " + t.cols() + " fit neither " + target + " nor the fallback " + fallback);
                    }
                    target = fallback;
                    fallbacks.add(t.name());
                }
                types.put(t.name(), target);
                float[] qw = imatrix == null || target == t.dtype() || !target.isQuantized() ? null : imatrix.importance(t.name());
                if (qw != null && !ImatrixEncoder.supports(target)) {
                    throw new UnsupportedOperationException(t.name() + ": importance-weighted " + target + " is not implemented");
                }
                if (qw != null && qw.length != t.cols()) {
                    throw new IllegalArgumentException(t.name() + ": importance has " + qw.length + " values for rows of " + t.cols());
                }
                w.addTensor(t.name(), target, t.shape(), target == t.dtype() ? t.data() : qw != null ? encodeWeighted(t, target, qw, arena) : encode(t, target, arena));
            }
            w.write(dst);
            return new Result(Collections.unmodifiableMap(types), List.copyOf(fallbacks));
        }
    }

    /** The Q4_K_M / Q5_K_M rules of llama_tensor_get_type, with its counters over attn_v and ffn_down tensors. */
    private static final class Mix {
        private final boolean hasOutput;
        private final int nAttnV, nFfnDown;
        private int iAttnV;

        Mix(GgufFile in) {
            hasOutput = in.find("output.weight").isPresent();
            nAttnV = (int) in.tensors().stream().filter(t -> t.name().contains("attn_v.weight")).count();
            nFfnDown = (int) in.tensors().stream().filter(t -> t.name().contains("ffn_down")).count();
        }

        DType type(String name, DType base) {
            if (name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"))) return DType.Q6_K;
            if (name.contains("attn_v.weight")) return moreBits(iAttnV++, nAttnV) ? DType.Q6_K : base;
            if (name.contains("ffn_down")) {
                int layer = name.startsWith("blk.") ? Integer.parseInt(name.substring(4, name.indexOf('.', 4))) : 0;
                return moreBits(layer, nFfnDown) ? DType.Q6_K : base;
            }
            return base;
        }

        /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between. */
        private static boolean moreBits(int i, int n) {
            return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
        }
    }

    /** llama-quantize's choice in pure mode: weights of two or more dimensions get the matrix type. */
    static DType targetType(Tensor t, DType matrixType) {
        boolean matrix = t.shape().length >= 2 && t.name().endsWith("weight");
        if (!matrix) return t.dtype();
        if (t.dtype().isQuantized() && t.dtype() != matrixType) {
            throw new IllegalArgumentException(t.name() + " is already " + t.dtype() + "; re-quantizing is not supported");
        }
        if (!t.dtype().isFloatLike()) throw new IllegalArgumentException(t.name() + ": " + t.dtype() + " is not a float type");
        return matrixType;
    }

    /** Row by row (in parallel): a block never spans two rows, so this equals encoding the whole tensor at once. */
    static MemorySegment encode(Tensor t, DType target, Arena arena) {
        long rows = t.rows();
        int cols = Math.toIntExact(t.cols());
        long outRow = target.bytesFor(cols);
        MemorySegment out = arena.allocate(rows * outRow, 64);
        BlockEncoder enc = target.isQuantized() ? BlockCodecs.encoder(target) : null;
        LongStream.range(0, rows).parallel().forEach(r -> {
            float[] row = new float[cols];
            Dequant.row(t, r, row);
            if (enc != null) {
                enc.encode(row, 0, out, r * outRow, cols);
            } else {
                floats(row, target, out, r * outRow);
            }
        });
        return out;
    }

    static MemorySegment encodeWeighted(Tensor t, DType target, float[] qw, Arena arena) {
        long rows = t.rows();
        int cols = Math.toIntExact(t.cols());
        long outRow = target.bytesFor(cols);
        MemorySegment out = arena.allocate(rows * outRow, 64);
        LongStream.range(0, rows).parallel().forEach(r -> {
            float[] row = new float[cols];
            Dequant.row(t, r, row);
            ImatrixEncoder.encodeRow(target, row, qw, out, r * outRow);
        });
        return out;
    }

    /** F32 as is; F16 and BF16 rounded to nearest even, as ggml converts them. */
    private static void floats(float[] row, DType target, MemorySegment out, long at) {
        for (int i = 0; i < row.length; i++) {
            switch (target) {
                case F32 -> out.set(Dequant.F32, at + 4L * i, row[i]);
                case F16 -> out.set(Dequant.I16, at + 2L * i, Float.floatToFloat16(row[i]));
                case BF16 -> out.set(Dequant.I16, at + 2L * i, Dequant.floatToBf16(row[i]));
                default -> throw new IllegalArgumentException("cannot write floats as " + target);
            }
        }
    }
}
