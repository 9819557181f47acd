package dev.auris.train.synth;

import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * espeak-ng (Debian main): English accents × voice variants × speed × pitch. Writes 22.05 kHz WAV,
 * resampled to 16 kHz.
 */
public record EspeakNg() implements TtsEngine {
    public static final List<String> ACCENTS = List.of("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc");
    public static final List<String> VARIANTS = List.of("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3",
            "croak", "whisper", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee", "Mr serious", "Tweaky", "edward", "john", "kaukovalta", "quincy", "rob", "steph", "Storm");

    @Override
    public String name() { return "espeak-ng"; }

    @Override
    public boolean available() { return Processes.onPath("espeak-ng"); }

    /** Every accent with a spread of variants, speeds and pitches (deterministic). */
    @Override
    public List<Voice> voices() {
        List<Voice> v = new ArrayList<>();
        double[] speeds = {140, 165, 190};
        double[] pitches = {35, 50, 65};
        int i = 0;
        for (String accent : ACCENTS) {
            for (String variant : VARIANTS) {
                if (variant.equals("whisper") || variant.equals("croak")) continue; // barely intelligible
                v.add(new Voice(name(), accent + "+" + variant, speeds[i % 3], pitches[(i / 3) % 3]));
                i++;
            }
        }
        return v;
    }

    @Override
    public AudioClip speak(String text, Voice voice) {
        try {
            Path tmp = Files.createTempFile("auris-espeak", ".wav");
            try {
                Processes.run(List.of("espeak-ng", "-v", voice.name(), "-s", String.valueOf((int) voice.speed()), "-p", String.valueOf((int) voice.pitch()),
                        "-w", tmp.toString(), "--", text), 60);
                return Wav.read(tmp).resample(AudioClip.SAMPLE_RATE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
