package dev.auris.prompt;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Instruction sets for speech tasks. LLaSM's stage 1 aligns the adaptor on ASR data phrased as varied
 * instructions (so the LLM learns that a transcript is asked for, not one fixed string); training picks
 * one at random per example.
 */
public final class Instructions {
    private Instructions() {}

    /** ASR instructions in the style of LLaSM's modality-adaptation stage. */
    public static final List<String> LLASM_ASR = List.of(
            "Transcribe the speech into text.",
            "Please transcribe the audio.",
            "Write down what is said in the audio.",
            "What does the speaker say? Give the exact words.",
            "Convert this speech to text.",
            "Repeat the speech word for word in text.",
            "Provide a transcript of the recording.",
            "Listen to the audio and write out its content.",
            "Recognize the speech and output the text.",
            "Turn the spoken words into written text.");

    /** LLaMA-Omni's fixed instruction for spoken questions. */
    public static final String LLAMA_OMNI = "Please answer the questions in the user's input speech.";

    public static String pick(List<String> set, SplittableRandom random) {
        return set.get(random.nextInt(set.size()));
    }
}
