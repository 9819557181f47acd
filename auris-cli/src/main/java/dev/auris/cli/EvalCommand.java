package dev.auris.cli;

import dev.auris.pipeline.SpeechLlm;
import dev.auris.train.eval.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

/** {@code auris eval --model models/tiny --data runs/tiny/data/heldout --report eval/}: WER, agreement, retention, the voice. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a speech LLM on held-out data (a directory with asr.jsonl, sqa.jsonl, text.jsonl as `auris synth` writes them):",
                "WER, spoken-vs-text continuation agreement, text-only perplexity against the base LLM; for a model with a voice (and voice.jsonl: spoken prompts) the spoken answers' WER, units-resynthesis WER, vocoder real-time factor and first-audio latency.",
                "Writes report.md, report.png, answer.png (one spoken answer's spectrogram), voice/*.wav and examples.jsonl (each held-out example: reference, transcripts, word errors; spoken and typed continuations; spoken answers)."})
final class EvalCommand implements Runnable {
    @Option(names = "--model", defaultValue = "models/tiny", description = "Auris model directory (default: ${DEFAULT-VALUE}).")
    Path model;
    @Option(names = "--data", description = "Held-out data directory (default: the model's eval/heldout).")
    Path data;
    @Option(names = "--report", description = "Report directory (default: the model's eval/).")
    Path report;
    @Option(names = "--agreement-tokens", defaultValue = "20")
    int agreementTokens;
    @Option(names = "--limit", defaultValue = "0", description = "At most this many examples per task (0 = all).")
    int limit;
    @Mixin
    Options options;

    @Override
    public void run() {
        var precision = options.precision();
        Path dir = Options.resolve(model);
        Path heldOut = data != null ? data : dir.resolve("eval/heldout");
        Path out = report != null ? report : dir.resolve("eval");
        try (SpeechLlm m = SpeechLlm.load(dir, precision)) {
            var r = Evaluator.run(m, heldOut, agreementTokens, limit, out, "Auris eval: " + dir.getFileName());
            if (r.asrClips() > 0) System.out.printf(Locale.ROOT, "WER %.1f %% (%d clips)%n", 100 * r.wer(), r.asrClips());
            if (r.perEngine().size() > 1) {
                r.perEngine().forEach((engine, a) -> System.out.printf(Locale.ROOT, "  %-12s WER %.1f %% (%d clips)%n", engine, 100.0 * a[1] / Math.max(1, a[2]), a[0]));
            }
            if (!Double.isNaN(r.ctcWer())) System.out.printf(Locale.ROOT, "WER of the encoder's CTC transcript alone %.1f %%%n", 100 * r.ctcWer());
            if (r.sqaClips() > 0) System.out.printf(Locale.ROOT, "agreement %.1f %% (%d clips, mean %.1f of %d tokens)%n", 100 * r.agreement(), r.sqaClips(), r.meanAgreedTokens(), agreementTokens);
            if (r.textExamples() > 0) System.out.printf(Locale.ROOT, "perplexity %.3f -> %.3f (%+.2f %%) on %d texts%n", r.basePerplexity(), r.modelPerplexity(), 100 * r.perplexityChange(), r.textExamples());
            var v = r.voice();
            if (v.clips() > 0) {
                System.out.printf(Locale.ROOT, "spoken answers' WER %.1f %% (%d prompts); units resynthesis %.1f %%, the prompt speech itself %.1f %%%n",
                        100 * v.spokenWer(), v.clips(), 100 * v.resynthWer(), 100 * v.floorWer());
                System.out.printf(Locale.ROOT, "vocoder RTF %.3f whole / %.3f streamed; first audio %.0f ms (hearing %.0f, first token %.0f)%n",
                        v.rtfWhole(), v.rtfStreamed(), v.firstAudioMs(), v.encodeMs(), v.firstTokenMs());
            }
            System.out.printf("report: %s%n", out.resolve("report.md"));
        }
    }
}
