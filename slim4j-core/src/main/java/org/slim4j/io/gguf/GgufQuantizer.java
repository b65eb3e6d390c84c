package org.slim4j.io.gguf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
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
 * Re-encodes a GGUF with float weights (F32, F16, BF16) the way llama-quantize does. Every 2-D-or-more tensor whose
 * name ends in "weight" (norms excepted) is a matrix and gets a block type: {@code --pure} gives all the file type's,
 * otherwise llama.cpp's mix ({@link LlamaTensorMix}); {@code --tensor-type} rules ({@link TensorTypeRule}) override
 * both. 1-D tensors are copied as they are. Tensors are written in llama.cpp's order (by layer, then by name);
 * metadata is copied in order, then general.quantization_version (2) and general.file_type are set at the end, as
 * gguf_set_val moves a key there. With the reference encoders, and with an importance matrix through the
 * importance-weighted ones ({@link ImatrixEncoder}), this reproduces llama-quantize's files byte for byte. A matrix whose
 * rows are not whole blocks takes {@code fallback} (which must fit it) and is listed in the result; with no fallback
 * it is an error. The write is atomic.
 */
public final class GgufQuantizer {
    /** The type each tensor was written as, and the tensors that took the fallback type, in file order. */
    public record Result(Map<String, DType> types, List<String> fallbacks) {}

    /** Supplies a tensor's encoded bytes itself (a calibrated quantizer), or returns null to leave it to the default encoder. */
    @FunctionalInterface
    public interface Encoder {
        MemorySegment encode(Tensor source, DType type, Arena arena);
    }

    /**
     * How to quantize: the file type (general.file_type and the mix), pure or llama.cpp's mix, the importance matrix
     * (null: none), type rules, explicit per-tensor types that replace the mix entirely (a budget allocation; null:
     * none), a fallback type, a custom encoder (null: none) and extra string keys written after the imatrix keys.
     */
    public record Options(LlamaFileType fileType, boolean pure, Imatrix imatrix, List<TensorTypeRule> rules, Map<String, DType> types,
                          DType fallback, Encoder encoder, Map<String, String> extraKeys) {
        public Options {
            rules = rules == null ? List.of() : List.copyOf(rules);
            extraKeys = extraKeys == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extraKeys));
        }

        public static Options of(LlamaFileType fileType) {
            return new Options(fileType, true, null, List.of(), null, null, null, Map.of());
        }

        public Options pure(boolean on) {
            return new Options(fileType, on, imatrix, rules, types, fallback, encoder, extraKeys);
        }

        public Options imatrix(Imatrix im) {
            return new Options(fileType, pure, im, rules, types, fallback, encoder, extraKeys);
        }

        public Options rules(List<TensorTypeRule> r) {
            return new Options(fileType, pure, imatrix, r, types, fallback, encoder, extraKeys);
        }

        public Options types(Map<String, DType> t) {
            return new Options(fileType, pure, imatrix, rules, t, fallback, encoder, extraKeys);
        }

        public Options fallback(DType f) {
            return new Options(fileType, pure, imatrix, rules, types, f, encoder, extraKeys);
        }

        public Options encoder(Encoder e) {
            return new Options(fileType, pure, imatrix, rules, types, fallback, e, extraKeys);
        }

        public Options extraKeys(Map<String, String> k) {
            return new Options(fileType, pure, imatrix, rules, types, fallback, encoder, k);
        }
    }

    private GgufQuantizer() {}

    public static Result quantize(Path src, Path dst, LlamaFileType fileType, DType fallback) {
        return quantize(src, dst, fileType, fallback, true);
    }

    /** {@code pure} false applies llama.cpp's per-tensor mix for the file type. */
    public static Result quantize(Path src, Path dst, LlamaFileType fileType, DType fallback, boolean pure) {
        return quantize(src, dst, Options.of(fileType).pure(pure).fallback(fallback));
    }

    /**
     * With an importance matrix, as llama-quantize --imatrix: each tensor it covers is encoded by the
     * importance-weighted quantizer ({@link ImatrixEncoder}), and quantize.imatrix.{file,dataset,entries_count,
     * chunks_count} are recorded after general.file_type as llama-quantize records them.
     */
    public static Result quantize(Path src, Path dst, LlamaFileType fileType, DType fallback, boolean pure, Imatrix imatrix) {
        return quantize(src, dst, Options.of(fileType).pure(pure).fallback(fallback).imatrix(imatrix));
    }

    public static Result quantize(Path src, Path dst, Options o) {
        try (GgufFile in = GgufFile.open(src)) {
            Map<String, DType> types = types(in, o);
            GgufWriter w = new GgufWriter();
            in.metadata().forEach((k, v) -> {
                if (!k.equals("general.quantization_version") && !k.equals("general.file_type")) w.put(k, in.typeOf(k), v);
            });
            w.putUint32("general.quantization_version", 2);
            w.putUint32("general.file_type", o.fileType().id);
            Imatrix im = o.imatrix();
            if (im != null) {
                w.putString("quantize.imatrix.file", im.file());
                if (im.dataset() != null) w.putString("quantize.imatrix.dataset", im.dataset());
                w.putUint32("quantize.imatrix.entries_count", im.size());
                w.putUint32("quantize.imatrix.chunks_count", im.chunks());
            }
            o.extraKeys().forEach(w::putString);
            List<String> fallbacks = new ArrayList<>();
            for (Tensor t : llamaOrder(in.tensors())) {
                DType target = types.get(t.name());
                if (target != t.dtype() && t.cols() % target.blockSize != 0) {
                    if (o.fallback() == null) {
                        throw new IllegalArgumentException(t.name() + ": rows of " + t.cols() + " are not whole " + target
                                + " blocks of " + target.blockSize + " and no fallback type was given");
                    }
                    if (t.cols() % o.fallback().blockSize != 0) {
                        throw new IllegalArgumentException(t.name() + ": rows of " + t.cols() + " fit neither " + target + " nor the fallback " + o.fallback());
                    }
                    target = o.fallback();
                    fallbacks.add(t.name());
                    types.put(t.name(), target);
                }
                if (target == t.dtype()) {
                    w.addTensor(t.name(), target, t.shape(), t.data());
                    continue;
                }
                // encoded as the file is written, one tensor at a time (its bytes freed once written)
                DType type = target;
                float[] qw = im == null || !type.isQuantized() ? null : im.importance(t.name());
                w.addTensor(t.name(), type, t.shape(), a -> {
                    MemorySegment data = o.encoder() == null ? null : o.encoder().encode(t, type, a);
                    return data != null ? data : encode(t, type, qw, a);
                });
            }
            w.write(dst);
            Map<String, DType> written = new LinkedHashMap<>();
            for (Tensor t : llamaOrder(in.tensors())) written.put(t.name(), types.get(t.name()));
            return new Result(Collections.unmodifiableMap(written), List.copyOf(fallbacks));
        }
    }

    /**
     * The type every tensor of {@code in} gets under {@code o} (before fallbacks), in llama.cpp's order: explicit types
     * first, then the first matching rule, then the mix (or the file type when pure); non-matrices keep theirs.
     */
    public static Map<String, DType> types(GgufFile in, Options o) {
        List<Tensor> ordered = llamaOrder(in.tensors());
        LlamaTensorMix mix = o.pure() ? null : new LlamaTensorMix(in, ordered, o.fileType(), o.imatrix() != null);
        Map<String, DType> types = new LinkedHashMap<>();
        for (Tensor t : ordered) {
            if (!isMatrix(t)) {
                types.put(t.name(), t.dtype());
                continue;
            }
            checkSource(t, o.fileType().matrixType);
            DType target = o.types() != null ? o.types().get(t.name()) : null;
            if (target == null) {
                for (TensorTypeRule r : o.rules()) {
                    if (r.matches(t.name())) {
                        target = r.type();
                        break;
                    }
                }
            }
            DType base = o.fileType().matrixType;
            // llama.cpp asks its mix only for tensors no rule names, so its layer counters skip those
            if (target == null && mix != null && base.isQuantized()) target = mix.type(t, base);
            types.put(t.name(), target != null ? target : base);
        }
        return types;
    }

    /** llama-quantize's matrices: two or more dimensions, a name ending in "weight", not a norm. */
    public static boolean isMatrix(Tensor t) {
        return t.shape().length >= 2 && t.name().endsWith("weight") && !t.name().contains("_norm.weight");
    }

    private static void checkSource(Tensor t, DType matrixType) {
        if (t.dtype().isQuantized() && t.dtype() != matrixType) {
            throw new IllegalArgumentException(t.name() + " is already " + t.dtype() + "; re-quantizing is not supported");
        }
        if (!t.dtype().isFloatLike()) throw new IllegalArgumentException(t.name() + ": " + t.dtype() + " is not a float type");
    }

    /** llama.cpp's tensor order (llama_model_loader's weight_name_comparer): tensors outside the blocks first, then by layer, each by name. */
    public static List<Tensor> llamaOrder(List<Tensor> tensors) {
        List<Tensor> r = new ArrayList<>(tensors);
        r.sort(Comparator.comparingInt((Tensor t) -> layer(t.name())).thenComparing(Tensor::name));
        return r;
    }

    /** The n of "blk.n." (as sscanf("blk.%d.") reads it), or -1. */
    public static int layer(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4;
        while (i < name.length() && Character.isDigit(name.charAt(i))) i++;
        return i > 4 ? Integer.parseInt(name.substring(4, i)) : -1;
    }

    /**
     * One tensor in {@code target} (rows in parallel; a block never spans two rows): importance-weighted when {@code qw}
     * is given, else the reference encoder; floats rounded as ggml converts them.
     */
    public static MemorySegment encode(Tensor t, DType target, float[] qw, Arena arena) {
        long rows = t.rows();
        int cols = Math.toIntExact(t.cols());
        if (qw != null && qw.length != cols) throw new IllegalArgumentException(t.name() + ": importance has " + qw.length + " values for rows of " + cols);
        long outRow = target.bytesFor(cols);
        MemorySegment out = arena.allocate(rows * outRow, 64);
        BlockEncoder enc = target.isQuantized() ? BlockCodecs.encoder(target) : null;
        LongStream.range(0, rows).parallel().forEach(r -> {
            float[] row = new float[cols];
            Dequant.row(t, r, row);
            if (enc == null) floats(row, target, out, r * outRow);
            else if (qw != null) ImatrixEncoder.encodeRow(target, row, qw, out, r * outRow);
            else enc.encode(row, 0, out, r * outRow, cols);
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
