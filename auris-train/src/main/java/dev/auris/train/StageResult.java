package dev.auris.train;

/** A stage of a recipe run and what it did: what a recipe run returns and the model card reports. */
public record StageResult(String stage, TrainingResult result) {}
