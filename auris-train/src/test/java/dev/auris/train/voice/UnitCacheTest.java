package dev.auris.train.voice;

import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.features.LogMel;
import dev.auris.units.Codebook;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Units are computed once and read back from {@code units-<key>.json} beside the manifest; a changed clip is
 * computed again, and a new codebook gets a new cache file.
 */
class UnitCacheTest {
    @TempDir
    Path tmp;

    static AudioClip tone(double hz, double seconds) {
        float[] s = new float[(int) (16000 * seconds)];
        for (int i = 0; i < s.length; i++) s[i] = (float) (0.3 * Math.sin(2 * Math.PI * hz * i / 16000));
        return new AudioClip(s, 16000);
    }

    @Test
    void computedOnceInvalidatedByAudioAndCodebook() throws Exception {
        Torch.init();
        Path manifest = tmp.resolve("train.jsonl");
        Files.writeString(manifest, "");
        Wav.write(tmp.resolve("clips/a.wav"), tone(300, 0.5));
        Wav.write(tmp.resolve("clips/b.wav"), tone(900, 0.4));
        UnitFeatures mel = new UnitFeatures.Mel(LogMel.of(80, 320));
        torch.manual_seed(1);
        Codebook cb = new Codebook(Torch.own(torch.randn(new long[]{8, 80}, Torch.options(DType.F32))));
        List<String> clips = List.of("clips/a.wav", "clips/b.wav");
        Map<String, long[]> first = UnitCache.frames(manifest, clips, cb, mel);
        assertEquals(25, first.get("clips/a.wav").length, "50 frames a second");
        Path cache = UnitCache.file(manifest, cb, mel);
        assertTrue(Files.isRegularFile(cache));
        // the cache is what is read: a planted value comes back
        String planted = Files.readString(cache).replaceFirst("\"units\":\\[\\d+", "\"units\":[7777");
        Files.writeString(cache, planted);
        assertEquals(7777, UnitCache.frames(manifest, clips, cb, mel).get("clips/a.wav")[0]);
        // a changed clip is computed again
        Wav.write(tmp.resolve("clips/a.wav"), tone(310, 0.5));
        long[] again = UnitCache.frames(manifest, clips, cb, mel).get("clips/a.wav");
        assertNotEquals(7777, again[0]);
        assertEquals(25, again.length);
        // another codebook: another file
        Codebook other = new Codebook(Torch.own(torch.randn(new long[]{8, 80}, Torch.options(DType.F32))));
        assertNotEquals(cache, UnitCache.file(manifest, other, mel));
        UnitCache.frames(manifest, clips, other, mel);
        assertTrue(Files.isRegularFile(UnitCache.file(manifest, other, mel)));
    }
}
