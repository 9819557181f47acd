package dev.auris.cli;

import dev.auris.audio.Audio;
import dev.auris.core.Torch;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.units.Codebook;
import dev.auris.units.KMeans;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code auris units --model DIR --manifest M.jsonl}: train the k-means codebook of a token-mapper / audio-vocab model. */
@Command(name = "units", mixinStandardHelpOptions = true,
        description = {"Train the k-means codebook (k-means++ init, Lloyd iterations) of a token-mapper or audio-vocab model on the",
                "encoder features of audio files; the codebook is written into the model's weights (connector.codebook)."})
final class UnitsCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Auris model directory with a token-mapper or audio-vocab connector.")
    Path model;
    @Parameters(arity = "0..*", description = "Audio files.")
    List<Path> files = new ArrayList<>();
    @Option(names = "--manifest", description = "JSONL manifest of audio files.")
    Path manifest;
    @Option(names = "--iterations", defaultValue = "25")
    int iterations;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Mixin
    Options options;

    @Override
    public void run() {
        options.dtype();
        List<Path> inputs = AudioInputs.of(files, manifest);
        Path dir = Options.resolve(model);
        try (SpeechLlm m = SpeechLlm.load(dir, dev.auris.core.DType.F32); PointerScope scope = new PointerScope();
             var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            Tensor codebook = m.connector().parameters().get("codebook");
            if (codebook == null) throw new IllegalArgumentException(model + " has a " + m.spec().connector().type() + " connector, which has no codebook");
            List<Tensor> feats = new ArrayList<>();
            for (Path p : inputs) {
                var out = m.encoder().encode(m.mel(Audio.load(p)), m.selector().needsAllLayers());
                feats.add(m.selector().select(out).select(0, 0).to(torch.ScalarType.Float)); // [T, De]
            }
            Tensor x = torch.cat(new TensorVector(feats.toArray(Tensor[]::new)), 0);
            Codebook cb = KMeans.train(x, (int) codebook.size(0), iterations, seed);
            codebook.copy_(cb.centroids());
            m.save(dir);
            System.err.printf("trained a %d-unit codebook on %d frames of %d file(s); wrote %s%n", cb.size(), x.size(0), inputs.size(), dir);
        }
    }
}
