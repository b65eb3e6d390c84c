package org.slim4j.compress;

import java.util.List;

/**
 * A method that rescales its layer's input channels before compressing (AWQ): the input is divided by s and the
 * weight multiplied by it. Where several layers read the output of one norm and nothing else, the pipeline asks for
 * one scale for all of them ({@link #sharedScale}) and folds 1/s into the norm's weight, so each layer stores the
 * scaled weight plainly ({@link #compressScaled}).
 */
public interface InputScaling {
    /** One input scale for layers that read the same input, with the least summed output error. */
    float[] sharedScale(List<LinearWeight> weights, InputStats stats);

    /** The compressed W diag(s): the weight for an input divided by s. */
    CompressedLinear compressScaled(LinearWeight w, float[] s, InputStats stats);
}
