package dev.auris.cli;

import dev.auris.audio.Audio;
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

/** {@code auris chat --model DIR --audio question.wav [--text ...]}: speak to a speech LLM; streams the answer. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk to a speech LLM. With --audio/--text: one turn, answer streamed. Without: interactive;",
                "type text, or '/audio FILE' to send a clip, '/reset' to start over, '/quit' to leave."})
final class ChatCommand implements Runnable {
    @Option(names = "--model", defaultValue = "models/tiny", description = "Auris model directory (default: ${DEFAULT-VALUE}).")
    Path model;
    @Option(names = "--audio", description = "Audio clip (repeatable; clips come first, in order).")
    List<Path> audio = new ArrayList<>();
    @Option(names = "--text", description = "Text of the turn (after the clips).")
    String text;
    @Mixin
    SamplingMixin sampling;
    @Option(names = "--stats", description = "Print timing to stderr.")
    boolean stats;
    @Mixin
    Options options;

    @Override
    public void run() {
        var dtype = options.dtype();
        Path dir = Options.resolve(model);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        var decoding = sampling.options();
        try (SpeechLlm m = SpeechLlm.load(dir, dtype); SpeechSession s = m.newSession()) {
            if (!audio.isEmpty() || text != null) {
                List<Turn.Part> parts = new ArrayList<>();
                for (Path a : audio) parts.add(Turn.speech(Audio.load(a)));
                if (text != null) parts.add(Turn.text(text));
                answer(s, new Turn("user", parts), decoding, out);
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
                    answer(s, turn, decoding, out);
                } catch (RuntimeException e) { // a bad file or input: say so and keep the conversation
                    System.err.println("error: " + e.getMessage());
                }
            }
        }
    }

    private void answer(SpeechSession s, Turn turn, SamplingOptions sampling, PrintStream out) {
        s.respond(turn, sampling, e -> {
            switch (e) {
                case Event.TextDelta d -> out.print(d.text());
                case Event.Units u -> { }        // speech out is not wired to the CLI yet
                case Event.AudioChunk a -> { }
                case Event.Done d -> {
                    out.println();
                    if (stats) {
                        System.err.printf(Locale.ROOT, "audio encode %.0f ms, first token %.0f ms, %d tokens, %.1f tokens/s (%s)%n",
                                d.encodeMs(), d.firstTokenMs(), d.tokens(), d.tokensPerSecond(), d.stop());
                    }
                }
            }
        });
    }
}
