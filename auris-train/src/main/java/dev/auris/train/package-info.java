/** Training (survey §5): recipes as data, one training loop over objectives, checkpoints and resume, data-parallel processes, publishing a model directory. */
package dev.auris.train;
