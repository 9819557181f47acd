package dev.auris.cli;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.features.LogMel;
import dev.auris.io.Npy;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code auris encode-audio --model WHISPER_DIR INPUT --out hidden.npy [--all-layers]}. */
@Command(name = "encode-audio", mixinStandardHelpOptions = true,
        description = {"Run a Whisper encoder on an audio file or a .npy log-mel [n_mels, frames] and write the final hidden state",
                "[T, D] (or, with --all-layers, the residual stream [L+1, T, D]: embeddings, then after each layer) as float32 .npy."})
final class EncodeAudioCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Whisper model directory (HF WhisperModel / WhisperForConditionalGeneration).")
    Path model;
    @Parameters(index = "0", description = "Audio file, or .npy log-mel [n_mels, frames].")
    Path input;
    @Option(names = "--out", required = true, description = "Output .npy.")
    Path out;
    @Option(names = "--all-layers", description = "Write every layer's output instead of the final hidden state.")
    boolean allLayers;
    @Option(names = "--pad-30s", description = "Audio input: pad to Whisper's 30 s window (what Whisper and LLaMA-Omni do).")
    boolean pad30s;
    @Mixin
    Options options;

    @Override
    public void run() {
        var dtype = options.precision().exactUnlessAsked().encoder();
        try (WhisperEncoder enc = WhisperEncoder.load(Options.resolve(model), dtype); PointerScope scope = new PointerScope()) {
            Tensor mel;
            if (input.toString().endsWith(".npy")) {
                Npy.Array a = Npy.read(input);
                if (a.shape().length != 2) throw new IllegalArgumentException(input + ": a log-mel must be [n_mels, frames], got " + java.util.Arrays.toString(a.shape()));
                mel = Torch.fromFloats(a.data(), a.shape());
            } else {
                AudioClip clip = Audio.load(input);
                LogMel features = enc.config().features();
                mel = pad30s ? features.computeWindow30s(clip) : features.compute(clip);
            }
            var o = enc.encode(mel, allLayers);
            Tensor result = allLayers ? torch.stack(new TensorVector(o.layers().toArray(Tensor[]::new)), 0).select(1, 0) : o.lastHidden().select(0, 0);
            Npy.write(out, Torch.toFloats(result), Torch.shape(result));
            System.err.println("wrote " + out + " " + java.util.Arrays.toString(Torch.shape(result)));
        }
    }
}
