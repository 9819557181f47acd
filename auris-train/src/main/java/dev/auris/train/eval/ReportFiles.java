package dev.auris.train.eval;

import javax.imageio.ImageIO;
import java.awt.*;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** An evaluation's files: {@code report.md} (the figures and samples), {@code examples.jsonl} (one line per example) and {@code report.png} (a bar chart). */
final class ReportFiles {
    private ReportFiles() {}

    /** Writes the three files of {@code r} into {@code dir}; {@code n} is the agreement's token count. */
    static void write(Report r, Path dir, String title, int n) {
        try {
            Files.createDirectories(dir);
            StringBuilder md = new StringBuilder();
            md.append("# ").append(title).append("\n\n");
            md.append("| metric | value | held-out examples |\n|---|---|---|\n");
            if (r.asrClips() > 0) md.append(String.format(Locale.ROOT, "| WER (transcription%s) | %.1f %% | %d |%n",
                    Double.isNaN(r.llmWer()) ? "" : ": joint CTC / LLM beam search, as `auris transcribe`", 100 * r.wer(), r.asrClips()));
            if (!Double.isNaN(r.llmWer())) {
                md.append(String.format(Locale.ROOT, "| WER of the LLM's greedy answer alone | %.1f %% | %d |%n", 100 * r.llmWer(), r.asrClips()));
            }
            if (!Double.isNaN(r.ctcWer())) {
                md.append(String.format(Locale.ROOT, "| WER of the connector's greedy CTC alone (the encoder's own transcript, no LLM) | %.1f %% | %d |%n", 100 * r.ctcWer(), r.asrClips()));
            }
            if (r.sqaClips() > 0) { // a data set of transcripts alone (real recordings) has no continuations to compare
                md.append(String.format(Locale.ROOT, "| agreement (first %d tokens of the spoken prompt's continuation = the text prompt's) | %.1f %% (mean %.1f tokens agree) | %d |%n",
                        n, 100 * r.agreement(), r.meanAgreedTokens(), r.sqaClips()));
                md.append(String.format(Locale.ROOT, "| text agreement (the model's own first %d tokens after the typed prompt = the base LLM's: what its adapters changed) | %.1f %% | %d |%n",
                        n, 100 * r.textAgreement(), r.sqaClips()));
            }
            if (r.textExamples() > 0) {
                md.append(String.format(Locale.ROOT, "| text-only perplexity, base LLM → with the model's adapters | %.3f → %.3f (%+.2f %%) | %d |%n",
                        r.basePerplexity(), r.modelPerplexity(), 100 * r.perplexityChange(), r.textExamples()));
            }
            Voice v = r.voice();
            if (v.clips() > 0) {
                md.append(String.format(Locale.ROOT, "| spoken answers' WER (the answer's audio heard by the model's recognizer, against its text) | %.1f %% | %d |%n", 100 * v.spokenWer(), v.clips()));
                if (v.resynthesized()) {
                    md.append(String.format(Locale.ROOT, "| units-resynthesis WER (held-out prompt speech → units → vocoder → recognizer) | %.1f %% | %d |%n", 100 * v.resynthWer(), v.clips()));
                }
                md.append(String.format(Locale.ROOT, "| the recognizer on the held-out prompt speech itself (the voice's floor) | %.1f %% | %d |%n", 100 * v.floorWer(), v.clips()));
                md.append(String.format(Locale.ROOT, "| vocoder real-time factor, whole utterances / streamed every Ω units | %.3f / %.3f | %d |%n", v.rtfWhole(), v.rtfStreamed(), v.clips()));
                md.append(String.format(Locale.ROOT, "| first audio after the end of the user's speech (mean): hearing / first token / first chunk | %.0f / %.0f / %.0f ms | %d |%n",
                        v.encodeMs(), v.firstTokenMs(), v.firstAudioMs(), v.clips()));
            }
            var engines = r.perEngine();
            if (engines.size() > 1 || engines.size() == 1 && !engines.containsKey("unnamed")) {
                md.append("\n| transcription WER per engine (held-out voices and sentences) | WER | clips |\n|---|---|---|\n");
                engines.forEach((engine, a) -> md.append(String.format(Locale.ROOT, "| %s | %.1f %% | %d |%n", engine, 100.0 * a[1] / Math.max(1, a[2]), a[0])));
            }
            md.append("\n![metrics](report.png)\n");
            if (v.clips() > 0 && v.answer().length > 0) {
                Spectrogram.write(new dev.auris.audio.AudioClip(v.answer(), v.sampleRate()), "spoken answer: " + v.answerText(), dir.resolve("answer.png"));
                md.append("\nOne spoken answer, as the model said it (`voice/` holds every spoken answer and resynthesis as WAV):\n\n![a spoken answer](answer.png)\n");
            }
            md.append("\n## Samples (reference → model)\n\n");
            for (String[] s : r.samples()) {
                md.append("- ").append(s[0]).append(": `").append(s[1].replace("\n", " ")).append("` → `").append(s[2].replace("\n", " ")).append('`');
                if (s.length > 3) md.append(" (the encoder's CTC alone: `").append(s[3]).append("`)");
                md.append('\n');
            }
            Files.writeString(dir.resolve("report.md"), md.toString());
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            StringBuilder lines = new StringBuilder();
            for (Map<String, Object> row : r.examples()) lines.append(json.writeValueAsString(row)).append('\n');
            Files.writeString(dir.resolve("examples.jsonl"), lines.toString());
            BufferedImage img = new BufferedImage(640, 360, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 640, 360);
            g.setColor(Color.BLACK);
            g.drawString(title, 20, 25);
            String[] names = {"WER %", "agreement %", "perplexity change %"};
            double[] values = {100 * r.wer(), 100 * r.agreement(), 100 * Math.abs(r.perplexityChange())};
            Color[] colors = {new Color(214, 39, 40), new Color(44, 160, 44), new Color(31, 119, 180)};
            for (int i = 0; i < 3; i++) {
                int x = 60 + i * 190, h = (int) Math.min(260, 2.6 * (Double.isNaN(values[i]) ? 0 : values[i]));
                g.setColor(colors[i]);
                g.fillRect(x, 320 - h, 120, h);
                g.setColor(Color.BLACK);
                g.drawString(Double.isNaN(values[i]) ? names[i] + ": no data" : String.format(Locale.ROOT, "%s: %.1f", names[i], values[i]), x, 340);
            }
            g.drawLine(40, 320, 620, 320);
            g.dispose();
            ImageIO.write(img, "png", dir.resolve("report.png").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
