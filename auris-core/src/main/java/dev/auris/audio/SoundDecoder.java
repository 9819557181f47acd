package dev.auris.audio;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import java.nio.FloatBuffer;
import java.nio.file.Path;

/**
 * Decodes compressed containers (FLAC, MP3, OGG/Vorbis/Opus, M4A, ...) with FFmpeg through JavaCV,
 * asking FFmpeg for mono float samples at the file's own rate; {@link Resampler} does the rate change so
 * that every format goes through the same band-limited filter.
 */
final class SoundDecoder {
    private SoundDecoder() {}

    static AudioClip decode(Path file) {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setAudioChannels(1);
            g.setSampleFormat(avutil.AV_SAMPLE_FMT_FLT);
            g.start();
            if (g.getAudioChannels() <= 0) throw new AudioException(file.toString(), "has no audio stream", "Give a file with an audio track");
            int rate = g.getSampleRate();
            FloatArray out = new FloatArray();
            Frame f;
            while ((f = g.grabSamples()) != null) {
                if (f.samples == null) continue;
                FloatBuffer fb = (FloatBuffer) f.samples[0];
                out.add(fb);
            }
            g.stop();
            if (out.size == 0) throw new AudioException(file.toString(), "contains no audio samples", "Record or export the audio again");
            float[] samples = out.toArray();
            for (int i = 0; i < samples.length; i++) {
                if (!Float.isFinite(samples[i])) {
                    throw new AudioException(file.toString(), "sample " + i + " decodes to " + samples[i] + " (audio must hold finite samples)",
                            "The file is damaged; export it again");
                }
            }
            return new AudioClip(samples, rate);
        } catch (AudioException e) {
            throw e;
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().replaceAll("\\s*\\(Has setFormat\\(\\) been called\\?\\).*", "").strip();
            throw new AudioException(file + ": not a readable audio file (FFmpeg: " + why + "). Supported: WAV, and FLAC/MP3/OGG/M4A via FFmpeg", e);
        }
    }

    private static final class FloatArray {
        float[] data = new float[1 << 16];
        int size;

        void add(FloatBuffer fb) {
            int n = fb.remaining();
            if (size + n > data.length) data = java.util.Arrays.copyOf(data, Math.max(data.length * 2, size + n));
            fb.get(data, size, n);
            size += n;
        }

        float[] toArray() { return java.util.Arrays.copyOf(data, size); }
    }
}
