package org.slim4j.compress.lowrank;

import org.slim4j.compress.Compressor;

/** A pass built on a factorisation method (its spectrum probe, its global-budget form): it needs what the method needs. */
abstract class UsesFactorization implements Compressor {
    final Factorization method;

    UsesFactorization(Factorization method) {
        this.method = method;
    }

    @Override
    public boolean needsGram() {
        return method.needsGram();
    }

    @Override
    public boolean needsCalibration() {
        return method.needsCalibration();
    }
}
