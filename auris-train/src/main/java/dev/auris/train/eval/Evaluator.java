package dev.auris.train.eval;

import dev.auris.core.Torch;
import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.sample.Generator;
import dev.auris.sample.SamplingOptions;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import javax.imageio.ImageIO;
import java.awt.*;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.List;

/**
 * {@code auris eval}: a speech LLM on held-out data (sentences and voices never trained on).
 * <ul>
 *   <li>WER of transcription (asr.jsonl: speech + the model's transcribe instruction → text, by the model's
 *       default decoder as {@code auris transcribe} runs it; for a ctc-compress model also the LLM's greedy
 *       answer alone and the encoder's greedy CTC alone);</li>
 *   <li>agreement: the spoken prompt's greedy continuation equals the text prompt's (the base LLM on the
 *       same text typed) for the first N tokens (sqa.jsonl); and text agreement, the model's own
 *       continuation of the typed text against the base LLM's (what the adapters changed);</li>
 *   <li>retention: text-only perplexity of the model's LLM (with its LoRA) against the base LLM on
 *       held-out text (text.jsonl: prompt + answer).</li>
 * </ul>
 * Writes {@code report.md}, {@code report.png} and {@code examples.jsonl} (one line per held-out example:
 * its reference, what the model made of it, and how it scored, to see where the figures come from).
 */
public final class Evaluator {
    public record Report(int asrClips, double wer, double ctcWer, double llmWer, int sqaClips, double agreement, double meanAgreedTokens, double textAgreement,
                         int textExamples, double basePerplexity, double modelPerplexity,
                         List<Map<String, Object>> examples) {
        public double perplexityChange() { return modelPerplexity / basePerplexity - 1; }

        /** What the report shows (task, reference, model[, CTC alone]): the first 8 transcriptions, then continuations up to 14. */
        public List<String[]> samples() {
            List<String[]> out = new ArrayList<>();
            for (Map<String, Object> x : examples) {
                if (x.get("task").equals("asr") && out.size() < 8) {
                    out.add(x.containsKey("ctc_transcript") ? new String[]{"asr", (String) x.get("reference"), (String) x.get("transcript"), (String) x.get("ctc_transcript")}
                            : new String[]{"asr", (String) x.get("reference"), (String) x.get("transcript")});
                }
            }
            for (Map<String, Object> x : examples) {
                if (x.get("task").equals("continuation") && out.size() < 14) {
                    out.add(new String[]{"continuation", (String) x.get("typed_continuation"), (String) x.get("spoken_continuation")});
                }
            }
            return out;
        }
    }

    private Evaluator() {}

    public static Report run(SpeechLlm model, Path heldOut, int agreementTokens, int limit, Path reportDir, String title) {
        List<Map<String, Object>> rows = new ArrayList<>();
        long errors = 0, words = 0, ctcErrors = 0, llmErrors = 0;
        dev.auris.pipeline.Transcriber.Kind how = dev.auris.pipeline.Transcriber.Kind.defaultFor(model);
        int nAsr = 0;
        var ctc = model.connector() instanceof dev.auris.fusion.CtcCompress c ? c : null;
        try (NoGradGuard guard = new NoGradGuard()) {
            Path asr = heldOut.resolve("asr.jsonl");
            if (Files.isRegularFile(asr)) {
                for (Example e : take(Manifest.read(asr, true).examples(), limit)) {
                    Turn.Speech sp = speech(e);
                    String hyp = model.transcriber(how).transcribe(sp.clip(), 64);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("task", "asr");
                    row.put("line", e.line());
                    row.put("reference", e.answer());
                    row.put("transcript", hyp);
                    int wrong = Wer.errors(e.answer(), hyp), n = Wer.words(e.answer()).length;
                    row.put("word_errors", wrong);
                    errors += wrong;
                    if (how != dev.auris.pipeline.Transcriber.Kind.LLM) {
                        String llmHyp = model.transcriber(dev.auris.pipeline.Transcriber.Kind.LLM).transcribe(sp.clip(), 64);
                        row.put("llm_transcript", llmHyp);
                        llmErrors += Wer.errors(e.answer(), llmHyp);
                    }
                    if (ctc != null) {
                        String ctcHyp = model.transcriber(dev.auris.pipeline.Transcriber.Kind.CTC).transcribe(sp.clip(), Integer.MAX_VALUE);
                        row.put("ctc_transcript", ctcHyp);
                        ctcErrors += Wer.errors(e.answer(), ctcHyp);
                    }
                    row.put("words", n);
                    rows.add(row);
                    words += n;
                    nAsr++;
                }
            }
            int agreed = 0, nSqa = 0, textAgreed = 0;
            double agreedTokens = 0;
            Path sqa = heldOut.resolve("sqa.jsonl");
            Path texts = heldOut.resolve("asr.jsonl");
            Map<String, String> transcriptOf = new HashMap<>();
            if (Files.isRegularFile(texts)) {
                for (Example e : Manifest.read(texts, true).examples()) transcriptOf.put(clipKey(e), e.answer());
            }
            Llm base = model.text().llm();
            if (Files.isRegularFile(sqa)) {
                for (Example e : take(Manifest.read(sqa, true).examples(), limit)) {
                    String text = transcriptOf.get(clipKey(e));
                    if (text == null) continue;
                    int[] spoken;
                    try (SpeechSession s = model.newSession()) {
                        Tensor logits = s.prefill(Turn.user(speech(e)));
                        spoken = greedyTokens(logits, s::step, agreementTokens, model.text().eosIds());
                    }
                    int[] ids = withBos(model, text);
                    int[] typed = continuation(base, ids, agreementTokens, model.text().eosIds());
                    // the model's own continuation of the typed text: does it still write as the base LLM?
                    int[] own = continuation(model.llm(), ids, agreementTokens, model.text().eosIds());
                    if (Arrays.equals(own, typed)) textAgreed++;
                    int same = 0;
                    while (same < Math.min(spoken.length, typed.length) && spoken[same] == typed[same]) same++;
                    boolean agree = same >= Math.min(agreementTokens, typed.length) && spoken.length >= Math.min(agreementTokens, typed.length);
                    if (agree) agreed++;
                    agreedTokens += same;
                    nSqa++;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("task", "continuation");
                    row.put("line", e.line());
                    row.put("spoken_text", text);
                    row.put("typed_continuation", model.text().tokenizer().decode(typed));
                    row.put("spoken_continuation", model.text().tokenizer().decode(spoken));
                    row.put("tokens_agree", same);
                    row.put("agrees", agree);
                    row.put("own_text_continuation_agrees", Arrays.equals(own, typed));
                    rows.add(row);
                }
            }
            double basePpl = Double.NaN, modelPpl = Double.NaN;
            int nText = 0;
            Path text = heldOut.resolve("text.jsonl");
            if (Files.isRegularFile(text)) {
                double nllBase = 0, nllModel = 0;
                long tokens = 0;
                for (Example e : take(Manifest.read(text, true).examples(), limit)) {
                    int[] ids = withBos(model, ((Turn.Text) e.prompt().getFirst().parts().getFirst()).text() + e.answer());
                    nllBase += nll(base, ids);
                    nllModel += nll(model.llm(), ids);
                    tokens += ids.length - 1;
                    nText++;
                }
                basePpl = Math.exp(nllBase / tokens);
                modelPpl = Math.exp(nllModel / tokens);
            }
            // a task the data set does not have (real recordings come with transcripts alone) measures NaN, not 0
            Report r = new Report(nAsr, nAsr == 0 ? Double.NaN : (double) errors / Math.max(1, words), ctc == null || nAsr == 0 ? Double.NaN : (double) ctcErrors / Math.max(1, words),
                    how == dev.auris.pipeline.Transcriber.Kind.LLM || nAsr == 0 ? Double.NaN : (double) llmErrors / Math.max(1, words),
                    nSqa, nSqa == 0 ? Double.NaN : (double) agreed / nSqa, nSqa == 0 ? Double.NaN : agreedTokens / nSqa, nSqa == 0 ? Double.NaN : (double) textAgreed / nSqa,
                    nText, basePpl, modelPpl, List.copyOf(rows));
            if (reportDir != null) write(r, reportDir, title, agreementTokens);
            return r;
        }
    }

    private static List<Example> take(List<Example> l, int limit) {
        return limit > 0 && l.size() > limit ? l.subList(0, limit) : l;
    }

    private static String clipKey(Example e) {
        return speech(e).clip().samples().length + ":" + Arrays.hashCode(speech(e).clip().samples());
    }

    private static Turn.Speech speech(Example e) {
        for (Turn t : e.prompt()) for (Turn.Part p : t.parts()) if (p instanceof Turn.Speech s) return s;
        throw new IllegalArgumentException("line " + e.line() + " has no audio");
    }

    /** The LLM's greedy first n tokens after ids. */
    private static int[] continuation(Llm llm, int[] ids, int n, Set<Integer> eos) {
        try (Session s = llm.newSession(); PointerScope scope = new PointerScope()) {
            return greedyTokens(s.prefill(ids), s::step, n, eos);
        }
    }

    /** BOS and the text's tokens. */
    private static int[] withBos(SpeechLlm model, String text) {
        int[] p = model.text().tokenizer().encode(text);
        int[] ids = new int[p.length + 1];
        ids[0] = model.text().tokenizer().bosId().orElse(1);
        System.arraycopy(p, 0, ids, 1, p.length);
        return ids;
    }

    private static int[] greedyTokens(Tensor logits, java.util.function.IntFunction<Tensor> step, int n, Set<Integer> eos) {
        int[] out = new int[n];
        int k = 0;
        float[] l = Torch.toFloats(logits);
        while (k < n) {
            int next = dev.auris.sample.Sampler.argmax(l);
            if (eos.contains(next)) break;
            out[k++] = next;
            if (k == n) break;
            try (PointerScope scope = new PointerScope()) {
                l = Torch.toFloats(step.apply(next));
            }
        }
        return Arrays.copyOf(out, k);
    }

    /** Summed next-token negative log-likelihood of ids[1..] given the prefix. */
    private static double nll(Llm llm, int[] ids) {
        try (PointerScope scope = new PointerScope()) {
            Tensor h = llm.forward(llm.embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, null);
            Tensor lp = torch.log_softmax(llm.logits(h).select(0, 0).narrow(0, 0, ids.length - 1), -1);
            Tensor tgt = Torch.fromInts(Arrays.copyOfRange(ids, 1, ids.length)).unsqueeze(1);
            return -Torch.toFloats(lp.gather(1, tgt).sum())[0];
        }
    }

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
            md.append("\n![metrics](report.png)\n\n## Samples (reference → model)\n\n");
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
