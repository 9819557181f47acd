package dev.auris.train.eval;

import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.Turn;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * WER of transcription on asr.jsonl (speech + the model's transcribe instruction → text), per decoder: the
 * model's default one (as {@code auris transcribe} runs it), and beside it the LLM's greedy answer alone
 * (when the default is not that) and the connector's greedy CTC alone (for a ctc-compress model).
 * Each figure is NaN when it does not apply or there are no clips.
 */
record Transcription(int clips, long words, long errors, long llmErrors, long ctcErrors, boolean llmAlone, boolean ctcAlone, List<Map<String, Object>> rows) {
    static Transcription measure(SpeechLlm model, Path asr, int limit) {
        dev.auris.pipeline.Transcriber.Kind how = dev.auris.pipeline.Transcriber.Kind.defaultFor(model);
        boolean llmAlone = how != dev.auris.pipeline.Transcriber.Kind.LLM;
        boolean ctcAlone = model.ctc().isPresent();
        List<Map<String, Object>> rows = new ArrayList<>();
        long errors = 0, words = 0, ctcErrors = 0, llmErrors = 0;
        int clips = 0;
        if (Files.isRegularFile(asr)) {
            Map<Integer, String> engines = engines(asr);
            for (Example e : Greedy.take(Manifest.read(asr, true).examples(), limit)) {
                Turn.Speech sp = Greedy.speech(e);
                String hyp = model.transcriber(how).transcribe(sp.clip(), 64);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("task", "asr");
                row.put("line", e.line());
                row.put("engine", engines.getOrDefault(e.line(), "unnamed"));
                row.put("reference", e.answer());
                row.put("transcript", hyp);
                int wrong = Wer.errors(e.answer(), hyp), n = Wer.words(e.answer()).length;
                row.put("word_errors", wrong);
                errors += wrong;
                if (llmAlone) {
                    String llmHyp = model.transcriber(dev.auris.pipeline.Transcriber.Kind.LLM).transcribe(sp.clip(), 64);
                    row.put("llm_transcript", llmHyp);
                    llmErrors += Wer.errors(e.answer(), llmHyp);
                }
                if (ctcAlone) {
                    String ctcHyp = model.transcriber(dev.auris.pipeline.Transcriber.Kind.CTC).transcribe(sp.clip(), Integer.MAX_VALUE);
                    row.put("ctc_transcript", ctcHyp);
                    ctcErrors += Wer.errors(e.answer(), ctcHyp);
                }
                row.put("words", n);
                rows.add(row);
                words += n;
                clips++;
            }
        }
        return new Transcription(clips, words, errors, llmErrors, ctcErrors, llmAlone, ctcAlone, List.copyOf(rows));
    }

    /**
     * The engine of each manifest line (1-based), from its {@code voice} field as synthesis writes it
     * ({@code engine:voice:...}); lines without one (recordings) are absent.
     */
    static Map<Integer, String> engines(Path manifest) {
        Map<Integer, String> out = new java.util.HashMap<>();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        try {
            List<String> lines = Files.readAllLines(manifest);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                String voice = json.readTree(lines.get(i)).path("voice").asText("");
                if (!voice.isEmpty()) out.put(i + 1, voice.split(":", 2)[0]);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + manifest + ": " + e.getMessage(), e);
        }
        return out;
    }

    double wer() { return clips == 0 ? Double.NaN : (double) errors / Math.max(1, words); }

    double llmWer() { return !llmAlone || clips == 0 ? Double.NaN : (double) llmErrors / Math.max(1, words); }

    double ctcWer() { return !ctcAlone || clips == 0 ? Double.NaN : (double) ctcErrors / Math.max(1, words); }
}
