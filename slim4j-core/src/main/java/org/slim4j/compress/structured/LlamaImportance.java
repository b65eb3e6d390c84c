package org.slim4j.compress.structured;

import java.util.ArrayList;
import java.util.List;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.Dequant;

/**
 * Head and FFN-channel importance of a Llama-family decoder from one calibration pass: the output energy each unit
 * would remove, ||X_j||^2 ||W_out[:, j]||^2 summed over the unit's input columns of o_proj (a query head) or
 * down_proj (a channel), the activation-weighted criterion of Wanda-sp / FLAP (An et al. 2024) as in
 * {@link BertImportance}. A KV group's importance is the sum of its query heads': removing the group removes them all.
 *
 * @param heads    per layer, per query head
 * @param channels per layer, per FFN channel
 */
public record LlamaImportance(double[][] heads, double[][] channels, int kvHeads) {

    public static LlamaImportance measure(LlamaModel model, int[][] calibration) {
        LlamaConfig c = model.config();
        LlamaBlocks blocks = new LlamaBlocks(model, calibration);
        int layers = c.layers(), h = c.hidden(), hd = c.headDim();
        double[][] heads = new double[layers][], channels = new double[layers][];
        float[] x = blocks.embed();
        for (int l = 0; l < layers; l++) {
            var L = model.weights().layers()[l];
            InputStats att = new InputStats(c.qDim(), false), inter = new InputStats(c.ffn(), false);
            blocks.forward(l, x, (names, v, n) -> {
                if (names[0].equals(L.wo().name())) att.add(v, n);
                else if (names[0].equals(L.wDown().name())) inter.add(v, n);
            });
            double[] e = BertImportance.energy(att, Dequant.toFloats(L.wo()), h, c.qDim());
            heads[l] = new double[c.heads()];
            for (int j = 0; j < e.length; j++) heads[l][j / hd] += e[j];
            channels[l] = BertImportance.energy(inter, Dequant.toFloats(L.wDown()), h, c.ffn());
        }
        return new LlamaImportance(heads, channels, c.kvHeads());
    }

    /** Per layer, the importance of each KV group (the sum of its query heads'). */
    public double[][] groups() {
        double[][] g = new double[heads.length][kvHeads];
        for (int l = 0; l < heads.length; l++) {
            int per = heads[l].length / kvHeads;
            for (int q = 0; q < heads[l].length; q++) g[l][q / per] += heads[l][q];
        }
        return g;
    }

    /** Per layer, the query heads kept when the {@code remove} least important KV groups go with all their query heads. */
    public List<List<Integer>> keepGroups(int remove) {
        double[][] g = groups();
        List<List<Integer>> r = new ArrayList<>();
        for (int l = 0; l < heads.length; l++) {
            int per = heads[l].length / kvHeads;
            List<Integer> keep = new ArrayList<>();
            for (int group : Ranking.keepTop(g[l], kvHeads - remove)) for (int q = 0; q < per; q++) keep.add(group * per + q);
            r.add(keep);
        }
        return r;
    }

    /** Per layer, the query heads kept when the {@code remove} least important query heads of every KV group go. */
    public List<List<Integer>> keepHeadsPerGroup(int remove) {
        List<List<Integer>> r = new ArrayList<>();
        for (double[] layer : heads) {
            int per = layer.length / kvHeads;
            List<Integer> keep = new ArrayList<>();
            for (int group = 0; group < kvHeads; group++) {
                for (int q : Ranking.keepTop(java.util.Arrays.copyOfRange(layer, group * per, (group + 1) * per), per - remove)) keep.add(group * per + q);
            }
            r.add(keep);
        }
        return r;
    }

    /** Per layer, the {@code keep} most important FFN channels. */
    public List<List<Integer>> keepChannels(int keep) {
        List<List<Integer>> r = new ArrayList<>();
        for (double[] ch : channels) r.add(Ranking.keepTop(ch, keep));
        return r;
    }
}
