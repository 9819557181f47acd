package dev.auris.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.Audio;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.pipeline.Turn;
import dev.auris.sample.SamplingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code auris transcribe --model DIR a.wav b.wav | --manifest M.jsonl [--out out.jsonl]}: JSONL {path, text}. */
@Command(name = "transcribe", mixinStandardHelpOptions = true,
        description = {"Transcribe audio files with a speech LLM, writing one JSON line per file: {\"path\", \"text\"}, or {\"path\", \"error\"}",
                "for a file that cannot be read (the others go on). --manifest takes JSONL lines with an \"audio\" or \"path\" field."})
final class TranscribeCommand implements Runnable {
    @Option(names = "--model", defaultValue = "models/tiny", description = "Auris model directory (default: ${DEFAULT-VALUE}).")
    Path model;
    @Parameters(arity = "0..*", description = "Audio files.")
    List<Path> files = new ArrayList<>();
    @Option(names = "--manifest", description = "JSONL manifest of audio files.")
    Path manifest;
    @Option(names = "--out", description = "Output JSONL (default: standard output).")
    Path out;
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "96")
    int maxTokens;
    @Option(names = "--ctc", description = "The encoder's own CTC transcript instead of the LLM's (ctc-compress models; models/tiny's is the closer to the words).")
    boolean ctc;
    @Mixin
    Options options;

    @Override
    public void run() {
        var dtype = options.dtype();
        List<Path> inputs = AudioInputs.of(files, manifest);
        ObjectMapper json = new ObjectMapper();
        var greedy = SamplingOptions.greedy(maxTokens);
        try (SpeechLlm m = SpeechLlm.load(Options.resolve(model), dtype);
             Writer w = out == null ? new OutputStreamWriter(System.out, StandardCharsets.UTF_8) : Files.newBufferedWriter(out)) {
            String instruction = m.spec().prompt() == null ? null : m.spec().prompt().transcribe();
            int ok = 0, failed = 0;
            for (Path p : inputs) {
                ObjectNode line = json.createObjectNode().put("path", p.toString());
                try {
                    line.put("text", ctc ? m.ctcTranscript(Audio.load(p)) : llmTranscript(m, Audio.load(p), instruction, greedy));
                    ok++;
                } catch (RuntimeException e) {
                    line.put("error", e.getMessage());
                    failed++;
                }
                w.write(line + "\n");
                w.flush();
            }
            System.err.println("transcribed " + ok + " file(s)" + (failed > 0 ? ", " + failed + " failed (see \"error\" lines)" : ""));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String llmTranscript(SpeechLlm m, dev.auris.audio.AudioClip clip, String instruction, SamplingOptions greedy) {
        Turn turn = instruction == null ? Turn.user(Turn.speech(clip)) : Turn.user(Turn.speech(clip), Turn.text(instruction));
        try (SpeechSession s = m.newSession()) {
            return s.respond(turn, greedy, e -> {}).text().strip();
        }
    }
}
