package dev.auris.speech;

import dev.auris.io.CheckpointException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Units → waveform. A vocoder turns each unit into {@link #durations frames} (one each without a duration
 * model), embeds the frames and synthesizes {@link #samplesPerFrame} samples per frame with a network of
 * bounded receptive field, so any window of the output can be made exact by computing it with
 * {@link #frameContext} frames of real context on each side — what {@link UnitStreamer} relies on.
 *
 * <p>{@code float[] wav = vocoder.vocode(units); // [S] at sampleRate()}
 */
public sealed interface Vocoder extends AutoCloseable permits CodeHiFiGan {
    int sampleRate();

    /** K: the units it embeds (ids 0..K−1). */
    int units();

    /** H: samples per frame (the product of the upsampling rates). */
    int samplesPerFrame();

    /** Frames of context on each side beyond which a frame's samples cannot change (receptive-field radius). */
    int frameContext();

    /** Units of context on each side a unit's duration depends on (0 without a duration predictor). */
    int unitContext();

    /** Frames per unit [N] (all ≥ 1). */
    int[] durations(long[] units);

    /** Samples [F·H] of frames given as the unit each frame shows (units repeated by their durations). */
    float[] synthesize(long[] frameUnits);

    /** Samples [S] of a whole utterance's units. */
    default float[] vocode(long[] units) {
        return synthesize(expand(units, durations(units)));
    }

    /** Each unit repeated by its duration: [N] → [F]. */
    static long[] expand(long[] units, int[] durations) {
        int f = 0;
        for (int d : durations) f += d;
        long[] out = new long[f];
        for (int i = 0, o = 0; i < units.length; i++) for (int j = 0; j < durations[i]; j++) out[o++] = units[i];
        return out;
    }

    @Override
    void close();

    /**
     * A vocoder directory: {@code config.json} (fairseq's CodeHiFiGAN keys) and its weights — {@code model.safetensors}
     * (fairseq's generator names) or else the one fairseq checkpoint (released as {@code g_00500000}, or a {@code *.pt}).
     */
    static Vocoder load(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new CheckpointException(dir.toString(), null, "no config.json", "point at a unit vocoder directory (config.json + model.safetensors or a fairseq g_*.pt)");
        }
        Path weights = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weights)) {
            try (var s = Files.list(dir)) {
                List<Path> files = s.filter(Files::isRegularFile).sorted().toList();
                List<Path> gs = files.stream().filter(p -> p.getFileName().toString().matches("g_\\d+(\\.pt)?")).toList();  // fairseq: g_00500000
                List<Path> pts = gs.isEmpty() ? files.stream().filter(p -> p.getFileName().toString().endsWith(".pt")).toList() : gs;
                if (pts.size() != 1) {
                    throw new CheckpointException(dir.toString(), null, pts.isEmpty() ? "no model.safetensors and no fairseq checkpoint (g_NNNNNNNN or *.pt)"
                            : "several checkpoints " + pts.stream().map(p -> p.getFileName().toString()).toList(), "keep exactly one vocoder checkpoint in the directory");
                }
                weights = pts.getFirst();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return CodeHiFiGan.load(cfg, weights);
    }
}
