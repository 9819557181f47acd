package dev.auris.train.data;

import dev.auris.prompt.Turn;

import java.util.List;

/**
 * One training example of a manifest: the conversation before the answer, the answer to learn, and for
 * preference data the rejected answer.
 *
 * @param line     1-based manifest line (for error messages)
 * @param task     task tag: asr, ast, sqa, instruct, mixed, text, continuation, dpo, ...
 * @param prompt   the turns before the answer (user turns may mix text and speech)
 * @param answer   the assistant's answer (the chosen one for DPO)
 * @param rejected the rejected answer (DPO only), else null
 */
public record Example(int line, String task, List<Turn> prompt, String answer, String rejected) {
    public Example {
        prompt = List.copyOf(prompt);
    }

    public boolean hasAudio() {
        return prompt.stream().anyMatch(t -> t.parts().stream().anyMatch(p -> p instanceof Turn.Speech));
    }

    /** Seconds of audio in the prompt. */
    public double audioSeconds() {
        return prompt.stream().flatMap(t -> t.parts().stream()).filter(p -> p instanceof Turn.Speech)
                .mapToDouble(p -> ((Turn.Speech) p).clip().seconds()).sum();
    }
}
