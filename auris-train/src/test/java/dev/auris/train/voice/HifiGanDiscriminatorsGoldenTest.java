package dev.auris.train.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.Npy;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The vocoder GAN's discriminators and losses against testdata/golden/speech/hifigan-disc (a numpy port of
 * HiFi-GAN's models.py / meldataset.py, refimpl_gan.py): every discriminator's score of a generated waveform
 * within 1e-4, the LSGAN, feature-matching and mel-L1 losses within 1e-4 relative.
 */
class HifiGanDiscriminatorsGoldenTest {
    static final Path DIR = Home.resolve("testdata/golden/speech/hifigan-disc");

    @Test
    void scoresAndLossesMatchTheNumpyReference() throws Exception {
        Torch.init();
        JsonNode exp = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        try (HifiGanDiscriminators d = new HifiGanDiscriminators(exp.get("base").asInt(), 1);
             Checkpoint ck = Checkpoint.of(DIR, List.of(DIR.resolve("discriminators.safetensors")));
             PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            d.restore(ck);
            Npy.Array y = Npy.read(DIR.resolve("y.npy")), yHat = Npy.read(DIR.resolve("y_hat.npy"));
            Tensor yt = Torch.fromFloats(y.data(), 1, 1, y.data().length), yh = Torch.fromFloats(yHat.data(), 1, 1, yHat.data().length);
            var real = d.apply(yt);
            var fake = d.apply(yh);
            assertEquals(8, fake.size());
            for (int i = 0; i < fake.size(); i++) {
                float[] want = Npy.read(DIR.resolve("score_fake_" + i + ".npy")).data(), got = Torch.toFloats(fake.get(i).score());
                assertEquals(want.length, got.length, "discriminator " + i + " score size");
                for (int j = 0; j < want.length; j++) assertEquals(want[j], got[j], 1e-4, "discriminator " + i + " score " + j);
            }
            rel(exp.get("loss_d").asDouble(), Torch.toFloats(GanLosses.discriminator(real, fake))[0], "LSGAN discriminator loss");
            rel(exp.get("loss_adv").asDouble(), Torch.toFloats(GanLosses.adversarial(fake))[0], "LSGAN generator loss");
            rel(exp.get("loss_fm").asDouble(), Torch.toFloats(GanLosses.featureMatching(real, fake))[0], "feature matching");
            rel(exp.get("mel_l1").asDouble(), Torch.toFloats(GanLosses.melL1(yt, yh))[0] / GanLosses.MEL_WEIGHT, "mel L1");
        }
    }

    private static void rel(double want, double got, String what) {
        assertTrue(Math.abs(want - got) <= 1e-4 * Math.abs(want), what + ": want " + want + ", got " + got);
    }
}
