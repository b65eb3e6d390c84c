package org.slim4j.compress.lowrank;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.bench.EncoderBench;

/**
 * Done-when on real encoders: whitening by the calibration inputs beats plain SVD at the same parameter count, and
 * the budget allocation beats a uniform ratio at the same total parameters (mean cosine and top-10 overlap of the
 * embeddings of STS-B dev sentences against the original's).
 */
@Tag("slow")
class LowRankFidelityTest {
    @Test
    void activationAwareSvdBeatsPlainSvdOnMiniLm() {
        EncoderBench b = new EncoderBench("minilm", 100, 32);
        var svd = b.run("svd", EncoderBench.linearsOnly(new Svd(RankRule.ratio(0.45))));
        var svdLlm = b.run("svd-llm", EncoderBench.linearsOnly(new SvdLlm(RankRule.ratio(0.45))));
        System.out.println(svd + "\n" + svdLlm);
        assertTrue(svdLlm.fidelity().meanCosine() > svd.fidelity().meanCosine(), svdLlm + " vs " + svd);
        assertTrue(svdLlm.fidelity().top10Overlap() > svd.fidelity().top10Overlap(), svdLlm + " vs " + svd);
        assertTrue(svdLlm.bitsPerWeight() == svd.bitsPerWeight());
    }

    /**
     * One whitened SVD per layer, truncated for every allocation (the layer-wise ASVD pass gives the same ordering:
     * CompressionReport lowrank-budget -Dseq=true). MiniLM only: BGE-small (12 layers) doubles the time and wins by
     * more (CompressionReport bge:lowrank-budget).
     */
    @ParameterizedTest
    @ValueSource(strings = {"minilm"})
    void budgetBeatsUniformRatioAtEqualParameters(String model) {
        EncoderBench b = new EncoderBench(model, 100, 32);
        Map<String, Spectrum> white = b.spectra(true);
        for (double ratio : new double[] {0.6, 0.45, 0.3}) {
            long budget = RankBudget.uniformBudget(white, ratio);
            Map<String, Integer> uniform = new LinkedHashMap<>(), ranks = RankBudget.allocate(white, budget);
            for (var e : white.entrySet()) uniform.put(e.getKey(), RankRule.ratioRank(e.getValue().rows(), e.getValue().cols(), ratio));
            assertTrue(RankBudget.parameters(white, ranks) <= RankBudget.parameters(white, uniform));
            var u = b.truncated("uniform " + ratio, white, uniform);
            var g = b.truncated("budget " + ratio, white, ranks);
            System.out.println(model + " " + u + "\n" + model + " " + g);
            assertTrue(g.fidelity().meanCosine() > u.fidelity().meanCosine(), g + " vs " + u);
            assertTrue(g.fidelity().top10Overlap() > u.fidelity().top10Overlap(), g + " vs " + u);
        }
    }
}
