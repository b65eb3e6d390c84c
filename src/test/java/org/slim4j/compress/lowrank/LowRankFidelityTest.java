package org.slim4j.compress.lowrank;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.slim4j.compress.bench.EncoderBench;

/** Done-when on a real encoder: whitening by the calibration inputs beats plain SVD at the same parameter count. */
class LowRankFidelityTest {
    @Test
    void activationAwareSvdBeatsPlainSvdOnMiniLm() {
        EncoderBench b = new EncoderBench("minilm", 100, 32);
        var svd = b.run("svd", EncoderBench.linearsOnly(new Svd(RankRule.ratio(0.45))));
        var asvd = b.run("asvd", EncoderBench.linearsOnly(new Asvd(RankRule.ratio(0.45))));
        System.out.println(svd + "\n" + asvd);
        assertTrue(asvd.fidelity().meanCosine() > svd.fidelity().meanCosine(), asvd + " vs " + svd);
        assertTrue(asvd.fidelity().top10Overlap() > svd.fidelity().top10Overlap(), asvd + " vs " + svd);
        assertTrue(asvd.bitsPerWeight() == svd.bitsPerWeight());
    }
}
