package dev.auris.prompt;

import dev.auris.audio.AudioClip;

import java.util.List;

/** One chat turn: a role and its content, text and speech clips in any order. */
public record Turn(String role, List<Part> parts) {
    /** A piece of a turn's content. */
    public sealed interface Part permits Text, Speech {}

    public record Text(String text) implements Part {}

    /** A speech clip (16 kHz mono); identity matters: a session encodes each clip once. */
    public record Speech(AudioClip clip) implements Part {}

    public Turn {
        parts = List.copyOf(parts);
        if (!List.of("system", "user", "assistant").contains(role)) throw new IllegalArgumentException("role must be system, user or assistant, got " + role);
    }

    public static Turn user(Part... parts) { return new Turn("user", List.of(parts)); }

    public static Turn assistant(String text) { return new Turn("assistant", List.of(new Text(text))); }

    public static Text text(String s) { return new Text(s); }

    public static Speech speech(AudioClip c) { return new Speech(c.resample(AudioClip.SAMPLE_RATE)); }

    public boolean onlySpeech() {
        return !parts.isEmpty() && parts.stream().allMatch(p -> p instanceof Speech);
    }
}
