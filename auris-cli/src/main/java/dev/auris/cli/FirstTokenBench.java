package dev.auris.cli;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.Precision;
import dev.auris.pipeline.Event;
import dev.auris.pipeline.HeardClips;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.pipeline.WarmUp;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import org.bytedeco.pytorch.NoGradGuard;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A speech model in conversation time: for each clip, a new conversation answers it and the time from the call (the
 * end of the user's speech: the clip is whole) to the first answer token is taken, split into hearing (encoder and
 * the transcript search) and the rest. Warm, as {@code auris serve} runs after its warm-up: the clip is answered until
 * the JIT settles ({@link WarmUp}, at most {@value #WARM_UP_SECONDS} s), then the mean of {@code repeat}; the clip's first
 * answer is printed beside it (the first clip's is the cold JVM's; later clips' find the code compiled). Then the same
 * as a realtime conversation with turn detection meets it: the clip heard ahead, during the pause before the detector
 * ends the turn ({@link HeardClips#hearAhead}), and the first token timed from the turn's end.
 */
final class FirstTokenBench {
    private static final int WARM_UP_SECONDS = 30;

    private FirstTokenBench() {}

    static void run(Path model, List<Path> clips, int repeat) {
        try (SpeechLlm m = SpeechLlm.load(model, Precision.auto()); var guard = new NoGradGuard()) {
            for (Path file : clips) {
                AudioClip clip = Audio.load(file);
                WarmUp.Result warm = WarmUp.run(m, clip, Duration.ofSeconds(WARM_UP_SECONDS));
                double hearing = 0, first = 0, ahead = 0, firstAhead = 0;
                for (int i = 0; i < repeat; i++) {
                    try (SpeechSession s = m.newSession()) {
                        Event.Done d = s.respond(Turn.user(Turn.speech(clip)), SamplingOptions.greedy(1), e -> {});
                        hearing += d.encodeMs();
                        first += d.firstTokenMs();
                    }
                    // as `auris serve`'s realtime turn detection does: the clip heard during the pause that ends the turn
                    HeardClips memory = new HeardClips(m);
                    Turn.Speech speech = Turn.speech(clip);
                    long t0 = System.nanoTime();
                    memory.hearAhead(speech);
                    ahead += (System.nanoTime() - t0) / 1e6;
                    try (SpeechSession s = m.newSession(memory)) {
                        firstAhead += s.respond(Turn.user(speech), SamplingOptions.greedy(1), e -> {}).firstTokenMs();
                    }
                }
                System.out.printf(Locale.ROOT, "%-14s first token %6.1f ms after a %.2f s clip (%s; hearing %.1f ms), warm mean of %d after %d warm-up answers%s (its first answer: %.1f ms)   (load %s)%n",
                        model.getFileName(), first / repeat, clip.samples().length / (double) clip.sampleRate(), file.getFileName(), hearing / repeat, repeat,
                        warm.answers(), warm.settled() ? "" : " (JIT still compiling)", warm.firstTokenMsCold(), Reference.loadAverage());
                System.out.printf(Locale.ROOT, "%-14s first token %6.1f ms after the turn ends when the clip was heard ahead during its pause (%.1f ms; realtime server_vad)%n",
                        "", firstAhead / repeat, ahead / repeat);
            }
        }
    }

    /** The bundled example clips (examples/*.wav), sorted. */
    static List<Path> examples() {
        Path dir = dev.auris.core.Home.resolve("examples");
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".wav")).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list the example clips in " + dir, e);
        }
    }
}
