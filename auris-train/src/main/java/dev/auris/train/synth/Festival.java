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

/**
 * Festival (Debian main: festival, festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts): two diphone
 * voices and one HTS voice, each at three speaking rates, through {@code text2wave}. The voices that are
 * installed are used; at least one must be.
 */
public record Festival() implements TtsEngine {
    /** Festival voice name → the Debian package that provides it. */
    public static final List<String[]> VOICES = List.of(
            new String[]{"kal_diphone", "festvox-kallpc16k"},
            new String[]{"ked_diphone", "festvox-kdlpc16k"},
            new String[]{"cmu_us_slt_arctic_hts", "festvox-us-slt-hts"});
    private static final List<Path> VOICE_ROOTS = List.of(Path.of("/usr/share/festival/voices/english"), Path.of("/usr/share/festival/voices/us"));

    @Override
    public String name() { return "festival"; }

    @Override
    public boolean available() { return Processes.onPath("text2wave") && !installedVoices().isEmpty(); }

    @Override
    public List<String> packages() {
        List<String> p = new ArrayList<>(List.of("festival"));
        for (String[] v : VOICES) p.add(v[1]);
        return p;
    }

    private static List<String> installedVoices() {
        List<String> out = new ArrayList<>();
        for (String[] v : VOICES) for (Path root : VOICE_ROOTS) if (Files.isDirectory(root.resolve(v[0]))) { out.add(v[0]); break; }
        return out;
    }

    @Override
    public List<Voice> voices() {
        List<Voice> v = new ArrayList<>();
        for (String name : installedVoices()) for (double speed : new double[]{0.85, 1.0, 1.15}) v.add(new Voice(name(), name, speed * 100, 0));
        return v;
    }

    @Override
    public AudioClip speak(String text, Voice voice) {
        try {
            Path in = Files.createTempFile("auris-festival", ".txt"), out = Files.createTempFile("auris-festival", ".wav");
            try {
                Files.writeString(in, text);
                // Duration_Stretch > 1 speaks slower
                Processes.run(List.of("text2wave", "-o", out.toString(), "-eval", "(voice_" + voice.name() + ")",
                        "-eval", String.format(Locale.ROOT, "(Parameter.set 'Duration_Stretch %.3f)", 100.0 / voice.speed()), in.toString()), 60);
                return Wav.read(out).resample(AudioClip.SAMPLE_RATE);
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
