package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a training stage did: final training loss (mean of the last log window), first loss, validation
 * loss (for the encoder's CTC pretraining: its held-out token error rate), timing and throughput, DPO margin.
 * A finished stage keeps it as {@code result.json} (Jackson's form of this record; NaN as "NaN"), so a
 * resumed run reports what the stage measured. Its own file, not a member of the loop or the runner: the
 * loop makes it, the runner records it, the publisher reports it.
 */
public record TrainingResult(int steps, double trainLoss, double firstLoss, double validationLoss, double seconds,
                             double tokensPerSecond, double audioSecondsPerSecond, double dpoMargin) {
    /** The file in which a finished stage keeps its result. */
    static final String FILE = "result.json";

    /** Writes this result as {@code dir/result.json}. */
    public void record(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve(FILE), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The result of a finished stage (for resumed runs and reports): its {@code result.json}, or, for a stage
     * finished before stages kept one, read back from its metrics.jsonl (the training loss then the mean of
     * the last 20 logged losses, which need not be the stage's own last window).
     */
    public static TrainingResult finished(Path stageDir, int steps) {
        Path saved = stageDir.resolve(FILE);
        if (Files.isRegularFile(saved)) {
            try {
                return new ObjectMapper().readValue(saved.toFile(), TrainingResult.class);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + saved + ": " + e.getMessage() + " (delete it to fall back to metrics.jsonl)", e);
            }
        }
        return fromMetrics(stageDir, steps);
    }

    private static TrainingResult fromMetrics(Path stageDir, int steps) {
        try {
            List<String> lines = Files.readAllLines(stageDir.resolve("metrics.jsonl"));
            ObjectMapper json = new ObjectMapper();
            var first = json.readTree(lines.getFirst());
            var last = json.readTree(lines.getLast());
            double tail = 0;
            int n = Math.min(20, lines.size());
            for (int i = lines.size() - n; i < lines.size(); i++) tail += json.readTree(lines.get(i)).get("loss").asDouble() / n;
            return new TrainingResult(steps, tail, first.get("loss").asDouble(), last.path("val_loss").asDouble(Double.NaN), last.get("elapsed_s").asDouble(),
                    last.get("tokens_per_s").asDouble(), last.get("audio_s_per_s").asDouble(), last.path("dpo_margin").asDouble(Double.NaN));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + stageDir.resolve("metrics.jsonl") + ": " + e.getMessage(), e);
        }
    }
}
