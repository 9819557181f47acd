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
