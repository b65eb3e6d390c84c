package org.slim4j.io.gguf;

import java.util.List;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;

/**
 * llama.cpp's choice of each tensor's type for a file type (llama_tensor_get_type in llama-quant.cpp), for the
 * Llama-family dense models slim4j writes: the output matrix (the token embedding when they are tied) gets Q6_K (Q8_0
 * files keep Q8_0); attn_v and ffn_down get more bits in the _M/_L mixes, in the first and last eighth of the layers
 * and every third one between (use_more_bits), counting tensors in llama.cpp's processing order; Q2_K and Q3_K_M/L
 * raise attn_output; IQ4 files raise attn_v where 4 or more query heads share a KV head; with an imatrix, Q4_0/Q5_0
 * give the first eighth of ffn_down Q4_1/Q5_1. {@link #type} must be called once per tensor in the order of
 * {@link GgufQuantizer#llamaOrder}.
 */
final class LlamaTensorMix {
    private final LlamaFileType ftype;
    private final boolean tied, imatrix;
    private final int nAttnV, nFfnDown, gqa;
    private int iAttnV, iFfnDown;

    LlamaTensorMix(GgufFile in, List<Tensor> ordered, LlamaFileType ftype, boolean imatrix) {
        this.ftype = ftype;
        this.imatrix = imatrix;
        this.tied = in.find("output.weight").isEmpty();
        this.nAttnV = (int) ordered.stream().filter(t -> t.name().contains("attn_v.weight") || t.name().contains("attn_qkv.weight")).count();
        this.nFfnDown = (int) ordered.stream().filter(t -> t.name().contains("ffn_down")).count();
        String arch = in.optString("general.architecture").orElse("llama");
        long heads = in.optInteger(arch + ".attention.head_count").orElse(1), kv = in.optInteger(arch + ".attention.head_count_kv").orElse(heads);
        this.gqa = (int) (kv > 0 ? heads / kv : 1);
    }

    /** llama.cpp's type for a quantizable matrix whose default (the file type's) is {@code base}. */
    DType type(Tensor t, DType base) {
        String name = t.name();
        boolean output = name.equals("output.weight") || tied && name.equals("token_embd.weight");
        if (output) {
            if (t.cols() % base.blockSize != 0) return DType.Q8_0;
            return base == DType.Q8_0 ? DType.Q8_0 : DType.Q6_K;
        }
        if (name.equals("token_embd.weight")) return base;
        if (name.contains("attn_v.weight") || name.contains("attn_qkv.weight")) {
            DType r = attnV(base);
            iAttnV++;
            return r;
        }
        if (name.contains("ffn_down")) {
            DType r = ffnDown(base, iFfnDown, nFfnDown);
            iFfnDown++;
            return r;
        }
        if (name.contains("attn_output.weight")) {
            return switch (ftype) {
                case MOSTLY_Q2_K -> DType.Q3_K;
                case MOSTLY_Q3_K_M -> DType.Q4_K;
                case MOSTLY_Q3_K_L -> DType.Q5_K;
                default -> base;
            };
        }
        return base;
    }

    private DType attnV(DType base) {
        return switch (ftype) {
            case MOSTLY_Q2_K -> gqa >= 4 ? DType.Q4_K : DType.Q3_K;
            case MOSTLY_Q2_K_S -> gqa >= 4 ? DType.Q4_K : base;
            case MOSTLY_Q3_K_M -> iAttnV < 2 ? DType.Q5_K : DType.Q4_K;
            case MOSTLY_Q3_K_L -> DType.Q5_K;
            case MOSTLY_IQ4_NL, MOSTLY_IQ4_XS -> gqa >= 4 ? DType.Q5_K : base;
            case MOSTLY_Q4_K_M, MOSTLY_Q5_K_M -> moreBits(iAttnV, nAttnV) ? DType.Q6_K : base;
            case MOSTLY_Q4_K_S -> iAttnV < 4 ? DType.Q5_K : base;
            default -> base;
        };
    }

    private DType ffnDown(DType base, int i, int n) {
        return switch (ftype) {
            case MOSTLY_Q2_K -> DType.Q3_K;
            case MOSTLY_Q2_K_S -> i < n / 8 ? DType.Q4_K : base;
            case MOSTLY_Q3_K_M -> i < n / 16 ? DType.Q5_K : DType.Q4_K;
            case MOSTLY_Q3_K_L -> DType.Q5_K;
            case MOSTLY_Q4_K_M, MOSTLY_Q5_K_M -> moreBits(i, n) ? DType.Q6_K : base;
            case MOSTLY_IQ4_NL, MOSTLY_IQ4_XS -> i < n / 8 && !imatrix ? DType.Q5_K : base;
            case MOSTLY_Q4_K_S -> i < n / 8 ? DType.Q5_K : base;
            case MOSTLY_Q4_0 -> imatrix && i < n / 8 ? DType.Q4_1 : base;
            case MOSTLY_Q5_0 -> imatrix && i < n / 8 ? DType.Q5_1 : base;
            default -> base;
        };
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between. */
    static boolean moreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }
}
