package dev.auris.cli;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.features.LogMel;
import dev.auris.io.Npy;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code auris mel AUDIO --out mel.npy [--n-mels 80|128]}: Whisper log-mel features as float32 [n_mels, frames]. */
@Command(name = "mel", mixinStandardHelpOptions = true,
        description = "Write Whisper-compatible log-mel features of an audio file as float32 .npy [n_mels, frames].")
final class MelCommand implements Runnable {
    @Parameters(index = "0", description = "Audio file (WAV, FLAC, MP3, OGG, ...; any rate, any channels).")
    Path audio;
    @Option(names = "--out", required = true, description = "Output .npy.")
    Path out;
    @Option(names = "--n-mels", defaultValue = "80", description = "80 (Whisper up to v2) or 128 (large-v3) (default: ${DEFAULT-VALUE}).")
    int nMels;
    @Option(names = "--pad-30s", description = "Pad to Whisper's 30 s window (3000 frames), as whisper.transcribe does.")
    boolean pad30s;

    @Override
    public void run() {
        if (nMels != 80 && nMels != 128) throw new IllegalArgumentException("--n-mels must be 80 or 128, got " + nMels);
        Torch.init();
        AudioClip clip = Audio.load(audio);
        try (PointerScope scope = new PointerScope()) {
            Tensor mel = pad30s
                    ? LogMel.of(nMels).computeWindow30s(clip)
                    : LogMel.of(nMels).compute(clip);
            Npy.write(out, Torch.toFloats(mel), Torch.shape(mel));
            System.err.println("wrote " + out + " " + java.util.Arrays.toString(Torch.shape(mel)));
        }
    }
}
