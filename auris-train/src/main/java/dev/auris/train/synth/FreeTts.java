package dev.auris.train.synth;

import com.sun.speech.freetts.VoiceManager;
import com.sun.speech.freetts.audio.SingleFileAudioPlayer;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;

import javax.sound.sampled.AudioFileFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** FreeTTS in the JVM (voice kevin16, 16 kHz): always available; rate and pitch varied. */
public record FreeTts() implements TtsEngine {
    static {
        System.setProperty("freetts.voices", "com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory");
    }

    @Override
    public String name() { return "freetts"; }

    @Override
    public boolean available() { return true; }

    @Override
    public java.util.List<String> packages() { return java.util.List.of(); }

    @Override
    public List<Voice> voices() {
        List<Voice> v = new ArrayList<>();
        for (double rate : new double[]{130, 150, 170}) for (double pitch : new double[]{85, 100, 120}) v.add(new Voice(name(), "kevin16", rate, pitch));
        return v;
    }

    @Override
    public synchronized AudioClip speak(String text, Voice voice) {
        com.sun.speech.freetts.Voice v = VoiceManager.getInstance().getVoice(voice.name());
        if (v == null) throw new IllegalStateException("FreeTTS voice " + voice.name() + " is not available");
        try {
            Path dir = Files.createTempDirectory("auris-freetts");
            Path base = dir.resolve("out");
            try {
                v.allocate();
                v.setRate((float) voice.speed());
                v.setPitch((float) voice.pitch());
                SingleFileAudioPlayer player = new SingleFileAudioPlayer(base.toString(), AudioFileFormat.Type.WAVE);
                v.setAudioPlayer(player);
                v.speak(text);
                java.io.PrintStream stdout = System.out;
                System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())); // FreeTTS announces every file it writes
                try {
                    player.close();
                } finally {
                    System.setOut(stdout);
                }
                v.deallocate();
                return Wav.read(dir.resolve("out.wav")).resample(AudioClip.SAMPLE_RATE);
            } finally {
                try (var s = Files.list(dir)) {
                    for (Path p : s.toList()) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
