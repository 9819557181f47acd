package dev.auris.serve;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * Audio that arrives in a request (base64 in {@code input_audio}, or a multipart file) as a 16 kHz mono clip.
 * WAV is read from the bytes; FLAC, MP3 and OGG go through {@link Audio#load} on a temporary file (its
 * decoders read files). Whatever cannot be read is a 400 naming the field, never a 500.
 */
final class AudioInput {
    private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");

    private AudioInput() {}

    /** Formats a chat {@code input_audio.format} may name. */
    static boolean knownFormat(String format) {
        return format != null && switch (format.toLowerCase(Locale.ROOT)) {
            case "wav", "mp3", "flac", "ogg" -> true;
            default -> false;
        };
    }

    static byte[] base64(String data, String param) {
        if (data == null || data.isEmpty()) throw ApiError.invalid(param + " is empty: put the base64 of a WAV file there", param, "invalid_value");
        try {
            // the basic decoder, whitespace removed: the MIME decoder would skip any character outside the alphabet
            return Base64.getDecoder().decode(WHITESPACE.matcher(stripDataUrl(data)).replaceAll(""));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param + " is not valid base64 (" + e.getMessage() + ")", param, "invalid_base64");
        }
    }

    /** Accepts a bare base64 string or a {@code data:audio/wav;base64,...} URL, as browsers make them. */
    private static String stripDataUrl(String data) {
        if (data.startsWith("data:")) {
            int comma = data.indexOf(',');
            if (comma > 0) return data.substring(comma + 1);
        }
        return data;
    }

    static AudioClip decode(byte[] bytes, String param, double maxSeconds) {
        AudioClip clip;
        try {
            clip = Wav.looksLikeWav(bytes) ? Wav.read(bytes, param) : viaFile(bytes, param);
        } catch (UncheckedIOException e) {
            throw ApiError.internal("cannot stage the audio for decoding: " + e.getMessage());
        } catch (RuntimeException e) { // AudioException and the decoders' own complaints
            throw ApiError.invalid(param + " is not audio that Auris can read (WAV, FLAC, MP3 or OGG): " + e.getMessage(), param, "invalid_audio");
        }
        if (clip.seconds() > maxSeconds) {
            throw ApiError.invalid(String.format(Locale.ROOT, "%s is %.1f s long; this server takes at most %.0f s: split the recording", param, clip.seconds(), maxSeconds),
                    param, "audio_too_long");
        }
        return clip.resample(AudioClip.SAMPLE_RATE);
    }

    private static AudioClip viaFile(byte[] bytes, String param) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("auris-serve-", ".audio");
            Files.write(tmp, bytes);
            return Audio.load(tmp);
        } catch (RuntimeException e) { // name the field, not the server's temporary file
            String msg = String.valueOf(e.getMessage()).replace(tmp.toString(), param).replace(param + ": ", "");
            throw new IllegalArgumentException(msg, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }
}
