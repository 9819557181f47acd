package dev.auris.features;

import dev.auris.audio.AudioClip;
import dev.auris.audio.AudioException;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

/**
 * Whisper's log-mel front end (openai/whisper {@code audio.py: log_mel_spectrogram}): periodic Hann
 * window of {@link #N_FFT} samples, hop {@link #HOP_LENGTH} (or the model's own, as a Hugging Face
 * {@code preprocessor_config.json}'s {@code hop_length}), centred STFT with reflect padding, last frame
 * dropped, power spectrum, Slaney mel filters, {@code log10(max(x, 1e-10))}, floor at max − 8, then
 * {@code (x + 4) / 4}. The STFT and matmul run in libtorch.
 *
 * <p>{@code Tensor mel = LogMel.of(80).compute(clip); // [80, frames]}; {@code LogMel.of(80, 320)} gives
 * 50 frames a second instead of 100 (an encoder trained on it runs at 25 positions a second: half the compute).
 */
public final class LogMel {
    public static final int SAMPLE_RATE = AudioClip.SAMPLE_RATE;
    public static final int N_FFT = 400;                         // 25 ms window
    public static final int HOP_LENGTH = 160;                    // 10 ms hop, Whisper's
    public static final int CHUNK_SECONDS = 30;
    public static final int N_SAMPLES = CHUNK_SECONDS * SAMPLE_RATE; // 480000 samples in a 30 s chunk
    public static final int N_FRAMES = N_SAMPLES / HOP_LENGTH;        // 3000 frames in a 30 s chunk

    /** What {@link #usableHop} asks of a hop, for error messages. */
    public static final String HOP_RULE = "it must divide 480000 (30 s of samples) and be at most the 400-sample window, so no sample is skipped; 160 is Whisper's 10 ms, 320 gives 20 ms";

    private final int nMels;
    private final int hop;
    private final float[] filters; // [nMels, N_FFT/2 + 1]

    private LogMel(int nMels, int hop) {
        if (nMels <= 0) throw new IllegalArgumentException("n_mels must be positive, got " + nMels + " (Whisper uses 80, large-v3 128)");
        if (!usableHop(hop)) {
            throw new IllegalArgumentException("hop_length " + hop + " is not usable: " + HOP_RULE);
        }
        this.nMels = nMels;
        this.hop = hop;
        this.filters = MelFilters.slaney(SAMPLE_RATE, N_FFT, nMels);
    }

    /** A hop that divides the 30 s window and skips no sample (at most the window): 160 is Whisper's, 320 gives 20 ms. */
    public static boolean usableHop(int hop) {
        return hop >= 1 && hop <= N_FFT && N_SAMPLES % hop == 0;
    }

    /** Whisper's front end: hop 160 (100 frames a second). */
    public static LogMel of(int nMels) {
        return new LogMel(nMels, HOP_LENGTH);
    }

    /** The same front end with another hop (samples between frames). */
    public static LogMel of(int nMels, int hopLength) {
        return new LogMel(nMels, hopLength);
    }

    public int nMels() { return nMels; }

    public int hopLength() { return hop; }

    /** Number of frames {@link #compute} returns for {@code samples} samples. */
    public int frames(int samples) { return samples / hop; }

    /** Log-mel [nMels, samples / hop] of a 16 kHz clip (Whisper's {@code padding=0}). */
    public Tensor compute(AudioClip clip) {
        return compute(clip, 0);
    }

    /**
     * Whisper's 30 s window, as {@code whisper.transcribe} and LLaMA-Omni feed the encoder:
     * {@code log_mel_spectrogram(audio, padding=480000)[:, :3000]} → [nMels, 3000] (480000 / hop frames).
     */
    public Tensor computeWindow30s(AudioClip clip) {
        return Torch.scoped(() -> compute(clip, N_SAMPLES).narrow(1, 0, N_SAMPLES / hop).contiguous());
    }

    /**
     * Log-mel after appending {@code padSamples} zeros (Whisper's {@code padding}; 480000 = 30 s, what
     * {@code whisper.transcribe} feeds).
     */
    public Tensor compute(AudioClip clip, int padSamples) {
        if (clip.sampleRate() != SAMPLE_RATE) {
            throw new AudioException("log-mel", "expects 16 kHz audio, got " + clip.sampleRate() + " Hz", "Resample first: clip.resample(16000)");
        }
        float[] s = clip.samples();
        int n = s.length + padSamples;
        if (n <= N_FFT / 2) {
            throw new AudioException("log-mel", "audio of " + n + " samples is too short (at least " + (N_FFT / 2 + 1) + " samples, 12.5 ms, are needed)", "Give a longer clip");
        }
        for (int i = 0; i < s.length; i++) { // one NaN or ±Inf makes every frame's log-mel NaN (its max sets the floor)
            if (!Float.isFinite(s[i])) {
                throw new AudioException("log-mel", "sample " + i + " of the clip is " + s[i], "Give audio of finite samples");
            }
        }
        final float[] x = padSamples == 0 ? s : java.util.Arrays.copyOf(s, n);
        return Torch.scoped(() -> {
            Tensor audio = Torch.fromFloats(x, n);
            Tensor window = torch.hann_window(N_FFT, true, new TensorOptions(torch.ScalarType.Float));
            Tensor spec = torch.stft(audio, N_FFT, new LongOptional(hop), new LongOptional(N_FFT), new TensorOptional(window),
                    true, "reflect", false, new BoolOptional(true), new BoolOptional(true), new BoolOptional());  // [201, frames+1] complex
            Tensor mag = torch.abs(spec).pow(Torch.scalar(2));                  // [201, frames+1]
            mag = mag.narrow(1, 0, mag.size(1) - 1);                             // drop the last frame
            Tensor fb = Torch.fromFloats(filters, nMels, N_FFT / 2 + 1);        // [nMels, 201]
            Tensor mel = torch.matmul(fb, mag);                                  // [nMels, frames]
            Tensor log = torch.log10(torch.clamp_min(mel, Torch.scalar(1e-10)));
            Tensor floor = log.max().sub(Torch.scalar(8.0));
            log = torch.maximum(log, floor).add(Torch.scalar(4.0)).div(Torch.scalar(4.0));
            return log.contiguous();
        });
    }
}
