package dev.auris.speech;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.io.CheckpointException;
import dev.auris.io.Npy;
import dev.auris.io.TorchCheckpoint;
import dev.auris.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * fairseq's CodeHiFiGAN on a random-weight checkpoint in torch.save's zip layout with fairseq's key names
 * and weight norm (testdata/golden/speech/codehifigan-tiny), read by libtorch's unpickler, against the numpy
 * port (refimpl_speech.py): durations equal, waveform within 1e-4, with and without duration prediction.
 */
class CodeHiFiGanGoldenTest {
    static final String DIR = "speech/codehifigan-tiny";

    @TempDir
    Path tmp;

    static CodeHiFiGan golden() {
        return CodeHiFiGan.load(Golden.dir(DIR).resolve("config.json"), Golden.dir(DIR).resolve("g_00000000.pt"));
    }

    @Test
    void matchesNumpyReference() {
        JsonNode ex = Golden.json(DIR);
        long[] code = Arrays.stream(Golden.ints(ex.get("code"))).asLongStream().toArray();
        try (CodeHiFiGan v = golden()) {
            assertEquals(4, v.samplesPerFrame());
            assertArrayEquals(Golden.ints(ex.get("durations")), v.durations(code));
            float[] wav = v.vocode(code);
            double err = Golden.maxAbsDiff(Golden.npy(DIR, "expected_wav.npy").data(), wav);
            long[] ones = code;                                    // dur_prediction=False: one frame per unit
            double errNoDur = Golden.maxAbsDiff(Golden.npy(DIR, "expected_wav_no_dur.npy").data(), v.synthesize(ones));
            System.out.printf("CodeHiFiGAN %d units → %d samples: max |Δ| vs numpy %.2e (with durations), %.2e (without)%n", code.length, wav.length, err, errNoDur);
            assertTrue(err < 1e-4 && errNoDur < 1e-4, err + " / " + errNoDur);
        }
    }

    /** The other accepted form: the same tensor names in a safetensors file (what a one-off conversion writes). */
    @Test
    void safetensorsWithTheSameNamesLoadsTheSame() {
        Path st = tmp.resolve("generator.safetensors");
        try (TorchCheckpoint ck = TorchCheckpoint.open(Golden.dir(DIR).resolve("g_00000000.pt"), "generator");
             org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            java.util.Map<String, dev.auris.io.SafeTensorsWriter.Entry> m = new java.util.LinkedHashMap<>();
            for (String n : ck.names()) {
                long[] shape = ck.shape(n);
                m.put(n, new dev.auris.io.SafeTensorsWriter.Entry(dev.auris.core.DType.F32, shape,
                        dev.auris.core.Torch.toBytes(ck.tensor(n, dev.auris.core.DType.F32, shape))));
            }
            dev.auris.io.SafeTensorsWriter.write(st, m, java.util.Map.of());
        }
        long[] code = Arrays.stream(Golden.ints(Golden.json(DIR).get("code"))).asLongStream().toArray();
        try (CodeHiFiGan a = golden(); CodeHiFiGan b = CodeHiFiGan.load(Golden.dir(DIR).resolve("config.json"), st)) {
            assertArrayEquals(a.vocode(code), b.vocode(code));
        }
    }

    /** The key set of the released mHuBERT km1000 unit vocoder's config.json (training keys included) reads as LLaMA-Omni's vocoder. */
    @Test
    void readsTheReleasedConfigKeys() throws Exception {
        Path cfg = tmp.resolve("vocoder.json");
        Files.writeString(cfg, """
                {"resblock": "1", "num_gpus": 0, "batch_size": 16, "learning_rate": 0.0002, "adam_b1": 0.8, "adam_b2": 0.99,
                 "lr_decay": 0.999, "seed": 1234, "upsample_rates": [5,4,4,2,2], "upsample_kernel_sizes": [11,8,8,4,4],
                 "upsample_initial_channel": 512, "resblock_kernel_sizes": [3,7,11], "resblock_dilation_sizes": [[1,3,5],[1,3,5],[1,3,5]],
                 "num_embeddings": 1000, "embedding_dim": 128, "model_in_dim": 128, "segment_size": 8960, "code_hop_size": 320,
                 "f0": false, "num_mels": 80, "num_freq": 1025, "n_fft": 1024, "hop_size": 256, "win_size": 1024,
                 "dur_prediction_weight": 1.0, "dur_predictor_params": {"encoder_embed_dim": 128, "var_pred_hidden_dim": 128,
                 "var_pred_kernel_size": 3, "var_pred_dropout": 0.5}, "sampling_rate": 16000, "fmin": 0, "fmax": 8000,
                 "fmax_for_loss": null, "num_workers": 4, "dist_config": {"dist_backend": "nccl", "dist_url": "env://"}}""");
        CodeHiFiGanConfig c = CodeHiFiGanConfig.read(cfg);
        assertEquals(320, c.samplesPerFrame());
        assertEquals(new CodeHiFiGanConfig.DurationPredictor(128, 128, 3), c.durationPredictor());
        assertEquals(1000, c.numEmbeddings());
        assertEquals(21, CodeHiFiGan.receptiveRadius(c));
        Files.writeString(cfg, Files.readString(cfg).replace("\"f0\": false", "\"f0\": true"));
        String m = assertThrows(CheckpointException.class, () -> CodeHiFiGanConfig.read(cfg)).getMessage();
        assertTrue(m.contains("'f0' conditioning is not supported"), m);
    }

    @Test
    void stateDictSavedAsIsGetsTheConversionHint() {
        Path f = Golden.dir(DIR).resolve("g_00000000_state_dict.pt");
        String m = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(f, "generator").close()).getMessage();
        assertTrue(m.contains("OrderedDict") && m.contains("torch.save"), m);
    }

    @Test
    void wrongLayoutNamesTheTensor() throws Exception {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, Files.readString(Golden.dir(DIR).resolve("config.json")).replace("\"upsample_initial_channel\": 16", "\"upsample_initial_channel\": 32"));
        String m = assertThrows(CheckpointException.class, () -> CodeHiFiGan.load(cfg, Golden.dir(DIR).resolve("g_00000000.pt")).close()).getMessage();
        assertTrue(m.contains("conv_pre.weight_v") && m.contains("[16, 16, 7]") && m.contains("[32, 16, 7]"), m);
        Files.writeString(cfg, Files.readString(Golden.dir(DIR).resolve("config.json")).replace("\"resblock_kernel_sizes\": [\n    3,\n    5\n  ]", "\"resblock_kernel_sizes\": [3, 5, 7]")
                .replace("\"resblock_dilation_sizes\": [", "\"resblock_dilation_sizes\": [[1, 3, 5], "));
        m = assertThrows(CheckpointException.class, () -> CodeHiFiGan.load(cfg, Golden.dir(DIR).resolve("g_00000000.pt")).close()).getMessage();
        assertTrue(m.contains("resblocks.2.convs1.0.weight_v") && m.contains("[4, 4, 3]") && m.contains("[8, 8, 7]"), m);
        Files.writeString(tmp.resolve("junk.pt"), "not a zip");
        m = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(tmp.resolve("junk.pt"), "generator").close()).getMessage();
        assertTrue(m.contains("not a zip"), m);
    }
}
