package dev.auris.pipeline;

import dev.auris.audio.AudioClip;
import dev.auris.fusion.CtcCompress;
import dev.auris.hearing.CtcHearing;
import dev.auris.sample.SamplingOptions;
import org.bytedeco.javacpp.PointerScope;

import java.util.Locale;

/** How a clip becomes its transcript: one small strategy per decoder, chosen by {@link #of}. */
public sealed interface Transcriber permits Transcriber.Llm, Transcriber.Ctc, JointTranscriber {
    /** The clip's text, in at most {@code maxTokens} tokens. */
    String transcribe(AudioClip clip, int maxTokens);

    /** The decoders `auris transcribe --decoder` names. */
    enum Kind {
        /** The LLM's greedy answer to the transcription instruction. */
        LLM,
        /** The encoder's greedy CTC alone (ctc-compress connectors). */
        CTC,
        /** Joint CTC / LLM beam search under the transcription instruction (ctc-compress connectors). */
        JOINT;

        /** A kind by its name, any case; "auto" is the model's default ({@link #defaultFor}). */
        public static Kind parse(String name, SpeechLlm m) {
            if (name.equalsIgnoreCase("auto")) return defaultFor(m);
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown decoder '" + name + "': use auto, llm, ctc or joint");
            }
        }

        /** JOINT for a ctc-compress model whose decoding has a beam, else LLM. */
        public static Kind defaultFor(SpeechLlm m) {
            return m.ctc().isPresent() && m.decoding().beam() > 0 ? JOINT : LLM;
        }
    }

    /** The transcriber of {@code kind}; CTC and JOINT need a ctc-compress connector, and say so otherwise. */
    static Transcriber of(SpeechLlm m, Kind kind) {
        if (kind == Kind.LLM) return new Llm(m);
        CtcCompress ctc = m.ctc().orElseThrow(() -> new IllegalArgumentException("the " + kind.name().toLowerCase(Locale.ROOT)
                + " decoder needs a CTC head, and this model's connector is " + m.connector().spec().type() + " (only ctc-compress has one): use --decoder llm"));
        return kind == Kind.CTC ? new Ctc(m, ctc) : new JointTranscriber(m, ctc, m.decoding());
    }

    /** The LLM's greedy answer to the transcription turn (the clip heard as the model hears it in a conversation). */
    record Llm(SpeechLlm model) implements Transcriber {
        @Override
        public String transcribe(AudioClip clip, int maxTokens) {
            try (SpeechSession s = model.newSession()) {
                return s.respond(model.transcriptionTurn(clip), SamplingOptions.greedy(maxTokens), e -> {}).text().strip();
            }
        }
    }

    /** The encoder's own transcript: greedy CTC over the LLM's vocabulary, decoded to text, without the LLM. */
    record Ctc(SpeechLlm model, CtcCompress ctc) implements Transcriber {
        @Override
        public String transcribe(AudioClip clip, int maxTokens) {
            try (var scope = new PointerScope()) {
                return model.text().tokenizer().decode(CtcHearing.greedy(ctc, model.selector().select(model.encodeAudio(clip)).select(0, 0))).strip();
            }
        }
    }
}
