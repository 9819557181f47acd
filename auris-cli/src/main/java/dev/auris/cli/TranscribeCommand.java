package dev.auris.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.Audio;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.Transcriber;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
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
    @Option(names = "--model", defaultValue = "models/tiny", description = {"Auris model directory (default: ${DEFAULT-VALUE}), or a released one:",
            "LLaMA-Omni's Hugging Face directory, an Ultravox release."})
    Path model;
    @Parameters(arity = "0..*", description = "Audio files.")
    List<Path> files = new ArrayList<>();
    @Option(names = "--manifest", description = "JSONL manifest of audio files.")
    Path manifest;
    @Option(names = "--out", description = "Output JSONL (default: standard output).")
    Path out;
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "96")
    int maxTokens;
    @Option(names = "--decoder", defaultValue = "auto", description = {"auto (joint for a ctc-compress model, else llm), llm (the LLM's greedy answer),",
            "ctc (the encoder's greedy CTC alone) or joint (CTC / LLM beam search; ctc-compress models). Default: ${DEFAULT-VALUE}."})
    String decoder;
    @Mixin
    Options options;
    @Mixin
    ReleasedOptions released;

    @Override
    public void run() {
        var dtype = options.dtype();
        List<Path> inputs = AudioInputs.of(files, manifest);
        ObjectMapper json = new ObjectMapper();
        if (!List.of("auto", "llm", "ctc", "joint").contains(decoder)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--decoder " + decoder + " is unknown: use auto, llm, ctc or joint");
        }
        try (SpeechLlm m = SpeechLlm.load(Options.resolve(model), dtype, released.overrides())) {
            Transcriber transcriber;
            try {
                transcriber = m.transcriber(Transcriber.Kind.parse(decoder, m));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--decoder " + decoder + ": " + e.getMessage());
            }
            write(transcriber, inputs, json);
        }
    }

    private void write(Transcriber transcriber, List<Path> inputs, ObjectMapper json) {
        try (Writer w = out == null ? new OutputStreamWriter(System.out, StandardCharsets.UTF_8) : Files.newBufferedWriter(out)) {
            int ok = 0, failed = 0;
            for (Path p : inputs) {
                ObjectNode line = json.createObjectNode().put("path", p.toString());
                try {
                    line.put("text", transcriber.transcribe(Audio.load(p), maxTokens));
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
}
