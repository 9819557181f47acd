package dev.auris.pipeline;

import dev.auris.fusion.CtcCompress;
import dev.auris.hearing.Decoding;
import org.bytedeco.pytorch.Tensor;

/**
 * How a clip enters a conversation's prompt, chosen once when the model loads, before any prompt is
 * built: as the connector's soft embeddings, or as the model's own transcript in text tokens (the
 * survey's token mapping, §4). A session hears each clip once and then builds its prompt from what it heard.
 */
public sealed interface Hearing permits Hearing.Soft, Hearing.Transcript {
    /** The connector's output [T', D] fills the clip's slot (every connector; the differentiable path training uses). */
    record Soft() implements Hearing {}

    /**
     * The clip is heard as the model's own transcript, typed ({@link Transcriber.Joint}: the CTC beam search
     * with the LLM as LM, then joint CTC / LLM decoding under the transcription instruction when the model
     * has one), so a conversation hears exactly what {@code auris transcribe} prints and speech arrives as
     * that text typed would. A clip in which the CTC hears nothing falls back to the soft segments.
     */
    record Transcript(CtcCompress ctc, Decoding decoding) implements Hearing {}

    /** What a clip was heard as: embeddings [T', D] for its slot, or token ids typed in its place. */
    sealed interface Heard permits Embeddings, Tokens {}

    record Embeddings(Tensor embeddings) implements Heard {}

    record Tokens(int[] ids) implements Heard {}

    /**
     * The transcript for a ctc-compress connector whose decoding has a beam and an LLM with a BOS token to
     * score the first pass after; the soft embeddings otherwise.
     */
    static Hearing choose(SpeechLlm m) {
        return m.ctc().filter(c -> m.decoding().hearsTranscript() && m.text().tokenizer().bosId().isPresent())
                .<Hearing>map(c -> new Transcript(c, m.decoding())).orElse(new Soft());
    }
}
