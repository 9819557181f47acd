package dev.auris.train.synth;

import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** flite (Debian main): voices awb, rms, slt, kal16, each at three speaking rates. */
public record Flite() implements TtsEngine {
    public static final List<String> VOICES = List.of("awb", "rms", "slt", "kal16", "kal");

    @Override
    public String name() { return "flite"; }

    @Override
    public boolean available() { return Processes.onPath("flite"); }

    @Override
    public List<Voice> voices() {
        List<Voice> v = new ArrayList<>();
        for (String name : VOICES) for (double speed : new double[]{0.85, 1.0, 1.15}) v.add(new Voice(name(), name, speed * 100, 0));
        return v;
    }

    @Override
    public AudioClip speak(String text, Voice voice) {
        try {
            Path tmp = Files.createTempFile("auris-flite", ".wav");
            try {
                // duration_stretch > 1 speaks slower
                Processes.run(List.of("flite", "-voice", voice.name(), "--setf", String.format(Locale.ROOT, "duration_stretch=%.3f", 100.0 / voice.speed()),
                        "-t", text, "-o", tmp.toString()), 60);
                return Wav.read(tmp).resample(AudioClip.SAMPLE_RATE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
