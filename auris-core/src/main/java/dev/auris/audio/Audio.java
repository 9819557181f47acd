package dev.auris.audio;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Loads any supported audio file as a 16 kHz mono clip: WAV by Auris's own reader, other containers
 * (FLAC, MP3, OGG/Vorbis) through the Java Sound service providers on the class path.
 *
 * <p>{@code AudioClip clip = Audio.load(Path.of("question.wav"));}
 */
public final class Audio {
    private Audio() {}

    public static AudioClip load(Path file) {
        return loadNative(file).resample(AudioClip.SAMPLE_RATE);
    }

    /** The file's audio at its own sample rate, mixed to mono. */
    public static AudioClip loadNative(Path file) {
        byte[] head = new byte[12];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 12);
            if (n == 0) throw new AudioException(file.toString(), "the file is empty", "Record or export the audio again");
        } catch (NoSuchFileException e) {
            throw new AudioException(file.toString(), "file not found", "Check the path");
        } catch (IOException e) {
            throw new AudioException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (Wav.looksLikeWav(head)) return Wav.read(file);
        return SoundDecoder.decode(file);
    }
}
