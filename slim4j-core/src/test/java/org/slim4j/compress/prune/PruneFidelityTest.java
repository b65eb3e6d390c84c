package org.slim4j.compress.prune;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.bench.EncoderBench;

/** Done-when of the pruning issue on a real encoder: calibration-aware pruners keep embeddings closer than magnitude. */
@Tag("slow")
class PruneFidelityTest {

    @Test
    void wandaAndSparseGptBeatMagnitudeOnMiniLm() {
        EncoderBench b = new EncoderBench("minilm", 150, 32);
        for (SparsityPattern p : new SparsityPattern[] {SparsityPattern.unstructured(0.5), SparsityPattern.nm(2, 4)}) {
            var mag = b.run("magnitude " + p, EncoderBench.linearsOnly(new Magnitude(p)));
            var wanda = b.run("wanda " + p, EncoderBench.linearsOnly(new Wanda(p)));
            var sgpt = b.run("sparsegpt " + p, EncoderBench.linearsOnly(new SparseGpt(p)));
            System.out.println(mag + "\n" + wanda + "\n" + sgpt);
            for (var r : new EncoderBench.Row[] {wanda, sgpt}) {
                assertTrue(r.fidelity().meanCosine() > mag.fidelity().meanCosine(), r + " vs " + mag);
                assertTrue(r.fidelity().top10Overlap() > mag.fidelity().top10Overlap(), r + " vs " + mag);
            }
        }
    }
}
