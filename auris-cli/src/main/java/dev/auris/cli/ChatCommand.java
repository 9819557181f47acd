package dev.auris.cli;

import dev.auris.audio.Audio;
import dev.auris.audio.WavStream;
import dev.auris.speech.SpeechHead;
import dev.auris.pipeline.*;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.*;

/** {@code auris chat --model DIR --audio question.wav [--text ...] [--speak answer.wav]}: speak to a speech LLM; streams the answer, in text and, with a voice, in speech. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk to a speech LLM. With --audio/--text: one turn, answer streamed (and spoken with --speak). Without: interactive;",
                "type text, or '/audio FILE' to send a clip, '/reset' to start over, '/quit' to leave."})
final class ChatCommand implements Runnable {
    @Option(names = "--model", defaultValue = "models/tiny", description = {"Auris model directory (default: ${DEFAULT-VALUE}), or a released one:",
            "LLaMA-Omni's Hugging Face directory, an Ultravox release."})
    Path model;
    @Option(names = "--audio", description = "Audio clip (repeatable; clips come first, in order).")
    List<Path> audio = new ArrayList<>();
    @Option(names = "--text", description = "Text of the turn (after the clips).")
    String text;
    @Mixin
    SamplingMixin sampling;
    @Option(names = "--speak", paramLabel = "FILE.wav", description = {"Also speak the answer into this WAV file as it streams (models with a voice).",
            "Interactive: the n-th answer goes to FILE-n.wav."})
    Path speak;
    @Option(names = "--stats", description = "Print timing to stderr.")
    boolean stats;
    @Mixin
    Options options;
    @Mixin
    ReleasedOptions released;

    @Override
    public void run() {
        var dtype = options.dtype();
        Path dir = Options.resolve(model);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        var decoding = sampling.options();
        try (SpeechLlm m = SpeechLlm.load(dir, dtype, released.overrides()); SpeechSession s = m.newSession()) {
            if (speak != null && m.speech().isEmpty()) {
                throw new IllegalArgumentException("--speak: " + dir + " has no voice (its auris.json has no speech section; for LLaMA-Omni, pass --vocoder DIR); a model with a speech decoder and vocoder can speak");
            }
            voice = m.speech().orElse(null);
            if (!audio.isEmpty() || text != null) {
                List<Turn.Part> parts = new ArrayList<>();
                for (Path a : audio) parts.add(Turn.speech(Audio.load(a)));
                if (text != null) parts.add(Turn.text(text));
                answer(s, new Turn("user", parts), decoding, out, speak);
                return;
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            out.println("auris chat: type a message, '/audio FILE' to speak, '/reset', '/quit'.");
            String line;
            while (true) {
                out.print("> ");
                out.flush();
                try {
                    line = in.readLine();
                } catch (java.io.IOException e) {
                    break;
                }
                if (line == null || line.equals("/quit")) break;
                if (line.isBlank()) continue;
                try {
                    if (line.equals("/reset")) {
                        s.reset();
                        continue;
                    }
                    Turn turn = line.startsWith("/audio ") ? Turn.user(Turn.speech(Audio.load(Path.of(line.substring(7).trim()))))
                            : Turn.user(Turn.text(line));
                    answer(s, turn, decoding, out, speak == null ? null : numbered(speak, ++answers));
                } catch (RuntimeException e) { // a bad file or input: say so and keep the conversation
                    System.err.println("error: " + e.getMessage());
                }
            }
        }
    }

    private SpeechHead voice;
    private int answers;

    /** The answer streamed to the terminal and, with {@code wav}, spoken into it as the audio arrives. */
    private void answer(SpeechSession s, Turn turn, SamplingOptions sampling, PrintStream out, Path wav) {
        WavStream w = wav == null ? null : WavStream.open(wav, voice.vocoder().sampleRate());
        try (w) {
            java.util.function.Consumer<Event> sink = e -> {
                switch (e) {
                    case Event.TextDelta d -> out.print(d.text());
                    case Event.Units u -> { }
                    case Event.AudioChunk a -> { if (w != null) w.append(a.samples()); }
                    case Event.Done d -> {
                        out.println();
                        if (w != null) {
                            w.finish();
                            System.err.printf(Locale.ROOT, "(spoken: %s, %.1f s)%n", wav, w.seconds());
                        }
                        if (stats) {
                            System.err.printf(Locale.ROOT, "audio encode %.0f ms, first token %.0f ms, %d tokens, %.1f tokens/s (%s)%n",
                                    d.encodeMs(), d.firstTokenMs(), d.tokens(), d.tokensPerSecond(), d.stop());
                            if (w != null) System.err.printf(Locale.ROOT, "first audio %.0f ms, vocoder real-time factor %.3f%n", d.firstAudioMs(), d.vocoderRtf());
                        }
                    }
                }
            };
            if (w == null) s.respond(turn, sampling, sink);
            else s.respond(turn, sampling, voice, sink);
        }
    }

    /** answer.wav → answer-3.wav */
    static Path numbered(Path wav, int n) {
        String f = wav.getFileName().toString();
        int dot = f.lastIndexOf('.');
        String name = dot > 0 ? f.substring(0, dot) + "-" + n + f.substring(dot) : f + "-" + n;
        return wav.resolveSibling(name);
    }
}
