package dev.auris.train.voice;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.audio.Audio;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.AtomicFiles;
import dev.auris.io.Checkpoint;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.units.Codebook;
import dev.auris.units.KMeans;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The unit codebook of a voice: {@link KMeans} over frame features of its clips, saved as
 * {@code codebook.safetensors} (tensor {@code centroids} [K, D]) + {@code units.json}; and the cheap proxy
 * that compares feature kinds for the vocoder: held-out log-mel rebuilt from the per-unit mean log-mel of the
 * training frames (mean |Δ| over mel bins and frames; lower keeps more of what a vocoder needs).
 */
public final class UnitCodebook {
    private UnitCodebook() {}

    /** k-means on the frames of {@code clips} (at most {@code maxFrames}, spread evenly over the clips). */
    public static Codebook train(List<Path> clips, UnitFeatures features, VoiceSpec.UnitSpec u, long seed) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = stack(clips, features, u.maxFrames());
            Codebook cb = KMeans.train(x, u.k(), u.iterations(), seed);
            return cb;                                                                   // centroids are owned by KMeans
        }
    }

    static Tensor stack(List<Path> clips, UnitFeatures features, int maxFrames) {
        List<Tensor> fs = new ArrayList<>();
        long total = 0;
        for (Path p : clips) {
            Tensor f = features.frames(Audio.load(p));
            fs.add(f);
            total += f.size(0);
        }
        Tensor x = torch.cat(new TensorVector(fs.toArray(Tensor[]::new)), 0);            // [N, D]
        if (total > maxFrames) {
            long[] idx = new long[maxFrames];
            for (int i = 0; i < maxFrames; i++) idx[i] = (long) ((double) i * total / maxFrames);
            x = x.index_select(0, Torch.fromLongs(idx, maxFrames)).contiguous();
        }
        return x;
    }

    public static void save(Codebook cb, VoiceSpec.UnitSpec u, Path dir) {
        Tensor c = cb.centroids();
        SafeTensorsWriter.write(dir.resolve("codebook.safetensors"), Map.of("centroids",
                new SafeTensorsWriter.Entry(DType.F32, Torch.shape(c), Torch.toBytes(c))), Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve("units.json"), new ObjectMapper().createObjectNode().put("features", u.features()).put("n_mels", u.nMels())
                .put("hop_length", u.hopLength()).put("sample_rate", 16000).put("k", cb.size()).toPrettyString() + "\n");
    }

    /** The unit spec a codebook directory was made with (its units.json: features, n_mels, hop_length, k). */
    public static VoiceSpec.UnitSpec spec(Path dir) {
        Path f = dir.resolve("units.json");
        try {
            var j = new ObjectMapper().readTree(f.toFile());
            return new VoiceSpec.UnitSpec(j.path("features").asText("mel"), j.path("n_mels").asInt(80), j.path("hop_length").asInt(320), j.path("k").asInt(), 0, 0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the units' spec " + f + ": " + e.getMessage(), e);
        }
    }

    public static Codebook load(Path dir) {
        Path f = dir.resolve("codebook.safetensors");
        try (Checkpoint ck = Checkpoint.of(dir, List.of(f)); PointerScope scope = new PointerScope()) {
            var info = ck.info("centroids");
            return new Codebook(Torch.own(ck.tensor("centroids", DType.F32, info.shape()).contiguous()));
        }
    }

    /**
     * Mean |Δ| of held-out log-mel [F, M] rebuilt from each frame's unit's mean training log-mel; the units come
     * from {@code features} and {@code cb}, the log-mel is always {@code mel}'s.
     */
    public static double melReconstruction(Codebook cb, UnitFeatures features, UnitFeatures.Mel mel, List<Path> train, List<Path> held) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            int k = cb.size();
            Tensor sums = torch.zeros(new long[]{k, mel.mel().nMels()}, Torch.options(DType.F32));
            Tensor counts = torch.zeros(new long[]{k}, Torch.options(DType.F32));
            for (Path p : train) {
                var clip = Audio.load(p);
                Tensor m = mel.frames(clip), ids = cb.assign(features.frames(clip));
                long f = Math.min(m.size(0), ids.size(0));
                sums.index_add_(0, ids.narrow(0, 0, f), m.narrow(0, 0, f));
                counts.index_add_(0, ids.narrow(0, 0, f), torch.ones(new long[]{f}, Torch.options(DType.F32)));
            }
            Tensor means = sums.div(counts.clamp_min(Torch.scalar(1)).unsqueeze(1));         // [K, M]
            double err = 0;
            long n = 0;
            for (Path p : held) {
                var clip = Audio.load(p);
                Tensor m = mel.frames(clip), ids = cb.assign(features.frames(clip));
                long f = Math.min(m.size(0), ids.size(0));
                err += Torch.toFloats(means.index_select(0, ids.narrow(0, 0, f)).sub(m.narrow(0, 0, f)).abs().sum())[0];
                n += f * m.size(1);
            }
            return err / Math.max(1, n);
        }
    }
}
