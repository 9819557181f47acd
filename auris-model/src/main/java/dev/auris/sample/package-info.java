/** Stage 7, sampling: a chain of logit filters (repetition penalty, temperature, top-k, top-p, min-p) and the generation loops (one sequence, or a batch in lock-step) that stream text. */
package dev.auris.sample;
