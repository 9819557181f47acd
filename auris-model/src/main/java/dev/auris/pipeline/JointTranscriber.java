package dev.auris.pipeline;

import dev.auris.prompt.PromptBuilder;
import dev.auris.prompt.Turn;
import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.features.MelWarp;
import dev.auris.fusion.CtcCompress;
import dev.auris.hearing.CtcHearing;
import dev.auris.hearing.CtcPrefixScorer;
import dev.auris.hearing.Decoding;
import dev.auris.hearing.JointCtcDecoder;
import dev.auris.hearing.LlmBeam;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.*;

/**
 * Transcribes a clip by joint CTC / LLM beam search (a ctc-compress model), in two passes over one encoding
 * of the clip. First the CTC beam search with the LLM as language model after BOS alone
 * ({@link CtcHearing#firstPass}) says what the audio holds. Then the speech LLM answers the transcription
 * turn (the clip, heard as that first pass typed, and the transcription instruction), each next token
 * scored by the LLM and by the CTC prefix probability of the encoder's head, so the answer stays with what
 * the audio supports while the LLM reads the whole first pass before it writes a word ({@link JointCtcDecoder}).
 */
public record JointTranscriber(SpeechLlm model, CtcCompress ctc, Decoding decoding) implements Transcriber {
    @Override
    public String transcribe(AudioClip clip, int maxTokens) {
        try (var guard = new NoGradGuard()) {
            return model.text().tokenizer().decode(ids(model.transcriptionTurn(clip), scorer(clip), maxTokens)).strip();
        }
    }

    /**
     * What a conversation hears of the clip ({@link Hearing.Transcript}), as typed token ids: the transcript
     * (the first pass alone for a model without a transcription instruction); empty when the CTC hears nothing.
     */
    int[] heard(AudioClip clip) {
        try (var guard = new NoGradGuard()) {
            CtcPrefixScorer scorer = scorer(clip);
            return !model.hasTranscriptionInstruction() ? firstPass(scorer) : asTyped(ids(model.transcriptionTurn(clip), scorer, scorer.frames()));
        }
    }

    /** The two passes for the turn's one clip, whose CTC prefix scorer is given: the answer's token ids. */
    private int[] ids(Turn turn, CtcPrefixScorer scorer, int maxTokens) {
        List<PromptBuilder.Item> prompt = model.prompt().build(List.of(turn), true);
        if (prompt.stream().filter(it -> it instanceof PromptBuilder.Slot).count() != 1) {
            throw new IllegalArgumentException("joint CTC decoding transcribes one clip per turn");
        }
        if (decoding.beam() > 0 && model.text().tokenizer().bosId().isPresent()) {
            int[] first = firstPass(scorer);
            if (first.length == 0) return first;                               // the CTC hears nothing: nothing to transcribe
            prompt = prompt.stream().map(it -> it instanceof PromptBuilder.Slot ? new PromptBuilder.Tokens(first) : it).toList();
        }                                                                      // else the slot holds the soft segments
        Set<Integer> ends = new HashSet<>(model.text().eosIds());
        ends.add(model.endOfAnswer());
        final List<PromptBuilder.Item> items = prompt;
        if (items.stream().allMatch(it -> it instanceof PromptBuilder.Tokens)) {             // the clip typed as its first pass: one batched beam
            int[] context = items.stream().flatMapToInt(it -> java.util.Arrays.stream(((PromptBuilder.Tokens) it).ids())).toArray();
            try (LlmBeam lm = LlmBeam.ofTokens(model.llm(), context)) {
                return JointCtcDecoder.decode(scorer, lm, ends, decoding, maxTokens);
            }
        }
        try (SpeechSession s = model.newSession(new Hearing.Soft())) {                       // soft segments in the prompt: per hypothesis
            return JointCtcDecoder.decode(scorer, h -> {
                List<PromptBuilder.Item> fed = new ArrayList<>(items);
                if (h.length > 0) fed.add(new PromptBuilder.Tokens(h));
                try (var scope = new PointerScope()) {
                    return Torch.toFloats(s.feedPrompt(fed));
                }
            }, ends, decoding, maxTokens);
        }
    }

    /** The first pass: the CTC beam search with the LLM as language model after BOS, tokenized as typed. */
    private int[] firstPass(CtcPrefixScorer scorer) {
        return asTyped(CtcHearing.firstPass(scorer, model.llm(), new int[]{model.text().tokenizer().bosId().getAsInt()}, decoding));
    }

    /** Token ids as the tokenizer tokenizes their text when typed: CTC may spell a word in other pieces. */
    private int[] asTyped(int[] ids) {
        return model.text().tokenizer().encode(model.text().tokenizer().decode(ids).strip());
    }

    /**
     * The CTC prefix scorer of a clip, in a scope of its own: one encoder pass, or one per view when the
     * decoding averages over {@code tta_warps} (the mel's bins warped, its frames unchanged).
     */
    private CtcPrefixScorer scorer(AudioClip clip) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            Tensor mel = model.mel(clip);                                                            // [M, F]
            List<Tensor> views = new ArrayList<>();
            for (double a : decoding.ttaWarps().isEmpty() ? List.of(1.0) : decoding.ttaWarps()) {
                Tensor m = a == 1 ? mel : MelWarp.warp(mel, a, 1);                                   // [M, F]
                views.add(model.selector().select(model.encoder().encode(m, model.selector().needsAllLayers())).select(0, 0)); // [T, De]
            }
            return CtcHearing.scorer(ctc, views);
        }
    }
}
