package dev.auris.train.data;

import dev.auris.features.MelWarp;
import dev.auris.features.SpecAugment;
import org.bytedeco.pytorch.Tensor;

import java.util.SplittableRandom;

/**
 * A training stage's augmentation of the clips it hears (recipe {@code stages[].hear_augment}), applied to each
 * draw's log-mel before the frozen encoder: mel- and time-axis warping by factors in [1 − warp, 1 + warp]
 * ({@link MelWarp}), then one time span and one mel span of up to {@code spec_augment} of each axis masked
 * ({@link SpecAugment}). Its purpose is the LLM's, not the encoder's: an encoder hears its own training clips
 * almost perfectly, so a connector or LLM adapter trained on them learns to copy clean speech features and
 * meets the half-heard features of new voices only at inference; a warped, masked draw shows it what the
 * encoder's mistakes look like. Validation batches stay clean.
 */
public record MelAugment(double warp, double specAugment) {
    public MelAugment {
        if (!(warp >= 0 && warp < 0.5)) throw new IllegalArgumentException("hear_augment.warp " + warp + " must be in [0, 0.5): the largest relative stretch of the mel and time axes, e.g. 0.1");
        if (!(specAugment >= 0 && specAugment < 1)) {
            throw new IllegalArgumentException("hear_augment.spec_augment " + specAugment + " must be in [0, 1): the largest masked fraction of the time and mel axes, e.g. 0.2");
        }
    }

    /**
     * A warped, masked copy of mel [M, F] → [M, F']: F' ≤ {@code maxFrames}; with {@code fixedFrames} (an encoder
     * that takes a padded 30 s window) only the mel axis is warped and F' = F.
     */
    public Tensor apply(Tensor mel, SplittableRandom r, long maxFrames, boolean fixedFrames) {
        Tensor m = fixedFrames ? warpMelAxis(mel, r) : MelWarp.apply(mel, warp, r, maxFrames);
        return SpecAugment.apply(m, specAugment, r);
    }

    private Tensor warpMelAxis(Tensor mel, SplittableRandom r) {
        if (warp == 0) return mel;
        return MelWarp.warp(mel, 1 + warp * (2 * r.nextDouble() - 1), 1.0);
    }
}
