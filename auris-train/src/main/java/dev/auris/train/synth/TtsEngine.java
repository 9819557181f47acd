package dev.auris.train.synth;

import dev.auris.audio.AudioClip;

import java.util.List;

/**
 * A text-to-speech engine for data synthesis. Output is 16 kHz mono, resampled with Auris's band-limited
 * resampler. The Debian engines (espeak-ng, flite, festival) run as processes; FreeTTS runs inside the JVM
 * and is always available.
 */
public sealed interface TtsEngine permits EspeakNg, Flite, Festival, FreeTts {
    String name();

    /** Whether the engine can run here (its program is installed). */
    boolean available();

    /** The voices this engine offers for synthesis (accents × variants × prosody, as configured). */
    List<Voice> voices();

    /** The Debian packages that provide this engine (empty: nothing to install). */
    default List<String> packages() { return List.of(name()); }

    AudioClip speak(String text, Voice voice);

    /** The engine of a name: espeak-ng, flite, festival or freetts. */
    static TtsEngine byName(String name) {
        return switch (name) {
            case "espeak-ng" -> new EspeakNg();
            case "flite" -> new Flite();
            case "festival" -> new Festival();
            case "freetts" -> new FreeTts();
            default -> throw new IllegalArgumentException("unknown TTS engine '" + name + "': use espeak-ng, flite, festival or freetts");
        };
    }

    static List<TtsEngine> all() {
        return List.of(new EspeakNg(), new Flite(), new Festival(), new FreeTts());
    }
}
