package dev.auris.train.eval;

import dev.auris.pipeline.SpeechLlm;
import org.bytedeco.pytorch.NoGradGuard;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 *       held-out text (text.jsonl: prompt + answer);</li>
 *   <li>the voice, for a model with a speech head (voice.jsonl: spoken prompts): {@link Voice}.</li>
 * </ul>
 * Writes {@code report.md}, {@code report.png} and {@code examples.jsonl} (one line per held-out example:
 * its reference, what the model made of it, and how it scored, to see where the figures come from).
 * Each measurement is its own record ({@link Transcription}, {@link Agreement}, {@link Retention}, {@link Voice}); the
 * files are {@link ReportFiles}'.
 */
public final class Evaluator {
    private Evaluator() {}

    /** The spoken answers' length cap (tokens), as the voice recipes' answer_tokens. */
    public static final int VOICE_ANSWER_TOKENS = 24;

    /**
     * Measures {@code model} on the held-out manifests in {@code heldOut} (asr.jsonl, sqa.jsonl, text.jsonl, voice.jsonl; a
     * missing one measures NaN, not 0), at most {@code limit} examples per task (0: all), and writes the report
     * into {@code reportDir} (none with null).
     */
    public static Report run(SpeechLlm model, Path heldOut, int agreementTokens, int limit, Path reportDir, String title) {
        try (NoGradGuard guard = new NoGradGuard()) {
            Transcription asr = Transcription.measure(model, heldOut.resolve("asr.jsonl"), limit);
            Agreement agreement = Agreement.measure(model, heldOut, agreementTokens, limit);
            Retention retention = Retention.measure(model, heldOut.resolve("text.jsonl"), limit);
            Voice voice = Voice.measure(model, heldOut.resolve("voice.jsonl"), limit, VOICE_ANSWER_TOKENS, reportDir == null ? null : reportDir.resolve("voice"));
            List<Map<String, Object>> rows = new ArrayList<>(asr.rows());
            rows.addAll(agreement.rows());
            rows.addAll(voice.rows());
            Report r = new Report(asr.clips(), asr.wer(), asr.ctcWer(), asr.llmWer(), agreement.clips(), agreement.agreement(), agreement.meanAgreedTokens(),
                    agreement.textAgreement(), retention.examples(), retention.basePerplexity(), retention.modelPerplexity(), voice, List.copyOf(rows));
            if (reportDir != null) ReportFiles.write(r, reportDir, title, agreementTokens);
            return r;
        }
    }
}
