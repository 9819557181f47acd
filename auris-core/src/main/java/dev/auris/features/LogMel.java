package dev.auris.features;

import dev.auris.audio.AudioClip;
import dev.auris.audio.AudioException;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

/**
 * Whisper's log-mel front end (openai/whisper {@code audio.py: log_mel_spectrogram}): periodic Hann
 * window of {@link #N_FFT} samples, hop {@link #HOP_LENGTH}, centred STFT with reflect padding, last frame
 * dropped, power spectrum, Slaney mel filters, {@code log10(max(x, 1e-10))}, floor at max − 8, then
 * {@code (x + 4) / 4}. The STFT and matmul run in libtorch.
 *
 * <p>{@code Tensor mel = LogMel.of(80).compute(clip); // [80, frames]}
 */
public final class LogMel {
    public static final int SAMPLE_RATE = AudioClip.SAMPLE_RATE;
    public static final int N_FFT = 400;                         // 25 ms window
    public static final int HOP_LENGTH = 160;                    // 10 ms hop
    public static final int CHUNK_SECONDS = 30;
    public static final int N_SAMPLES = CHUNK_SECONDS * SAMPLE_RATE; // 480000 samples in a 30 s chunk
    public static final int N_FRAMES = N_SAMPLES / HOP_LENGTH;        // 3000 frames in a 30 s chunk

    private final int nMels;
    private final float[] filters; // [nMels, N_FFT/2 + 1]

    private LogMel(int nMels) {
        if (nMels <= 0) throw new IllegalArgumentException("n_mels must be positive, got " + nMels + " (Whisper uses 80, large-v3 128)");
        this.nMels = nMels;
        this.filters = MelFilters.slaney(SAMPLE_RATE, N_FFT, nMels);
    }

    public static LogMel of(int nMels) {
        return new LogMel(nMels);
    }

    public int nMels() { return nMels; }

    /** Number of frames {@link #compute} returns for {@code samples} samples. */
    public static int frames(int samples) { return samples / HOP_LENGTH; }

    /** Log-mel [nMels, samples / 160] of a 16 kHz clip (Whisper's {@code padding=0}). */
    public Tensor compute(AudioClip clip) {
        return compute(clip, 0);
    }

    /**
     * Whisper's 30 s window, as {@code whisper.transcribe} and LLaMA-Omni feed the encoder:
     * {@code log_mel_spectrogram(audio, padding=480000)[:, :3000]} → [nMels, 3000].
     */
    public Tensor computeWindow30s(AudioClip clip) {
        return Torch.scoped(() -> compute(clip, N_SAMPLES).narrow(1, 0, N_FRAMES).contiguous());
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
        final float[] x = padSamples == 0 ? s : java.util.Arrays.copyOf(s, n);
        return Torch.scoped(() -> {
            Tensor audio = Torch.fromFloats(x, n);
            Tensor window = torch.hann_window(N_FFT, true, new TensorOptions(torch.ScalarType.Float));
            Tensor spec = torch.stft(audio, N_FFT, new LongOptional(HOP_LENGTH), new LongOptional(N_FFT), new TensorOptional(window),
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
