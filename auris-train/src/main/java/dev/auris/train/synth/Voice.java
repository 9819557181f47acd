package dev.auris.train.synth;

import java.util.Locale;

/**
 * One synthetic speaker: an engine, its voice name, and prosody (speed as words per minute for
 * espeak-ng / a rate factor elsewhere, pitch 0–99 for espeak-ng, Hz for FreeTTS).
 */
public record Voice(String engine, String name, double speed, double pitch) {
    /** A stable id for manifests and the train / held-out split, e.g. {@code espeak-ng:en-us+f3:s160:p50}. */
    public String id() {
        return String.format(Locale.ROOT, "%s:%s:s%.0f:p%.0f", engine, name, speed, pitch);
    }
}
