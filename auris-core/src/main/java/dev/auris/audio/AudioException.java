package dev.auris.audio;

/** Audio could not be read or is unusable: names the source, what is wrong and what to do. */
public final class AudioException extends RuntimeException {
    public AudioException(String source, String problem, String fix) {
        super(source + ": " + problem + (fix == null ? "" : ". " + fix));
    }

    public AudioException(String message, Throwable cause) {
        super(message, cause);
    }
}
