package dev.auris.train.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The figures of an evaluation ({@code Evaluator.run}) and its per-example rows (examples.jsonl): transcription
 * WER per decoder, continuation agreement, text-only perplexity of the base LLM and of the model, and the voice
 * ({@link Voice}: spoken answers and units resynthesis heard by the model's recognizer, real-time factor). A figure a
 * data set has nothing for is NaN.
 */
public record Report(int asrClips, double wer, double ctcWer, double llmWer, int sqaClips, double agreement, double meanAgreedTokens, double textAgreement,
                     int textExamples, double basePerplexity, double modelPerplexity, Voice voice,
                     List<Map<String, Object>> examples) {
    public double perplexityChange() { return modelPerplexity / basePerplexity - 1; }

    /** WER per engine of the transcription rows (engine → [clips, word errors, words]), engines sorted by name. */
    public java.util.SortedMap<String, long[]> perEngine() {
        java.util.SortedMap<String, long[]> out = new java.util.TreeMap<>();
        for (Map<String, Object> x : examples) {
            if (!x.get("task").equals("asr")) continue;
            long[] a = out.computeIfAbsent((String) x.getOrDefault("engine", "unnamed"), k -> new long[3]);
            a[0]++;
            a[1] += ((Number) x.get("word_errors")).longValue();
            a[2] += ((Number) x.get("words")).longValue();
        }
        return out;
    }

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
