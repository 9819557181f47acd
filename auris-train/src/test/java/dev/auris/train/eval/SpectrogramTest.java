package dev.auris.train.eval;

import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The report's picture of a spoken answer: a 1 kHz tone lights the mel rows around 1 kHz and leaves the top dark. */
class SpectrogramTest {
    @TempDir
    Path tmp;

    @Test
    void aToneIsBrightAtItsFrequencyAndDarkElsewhere() throws Exception {
        Torch.init();
        float[] s = new float[16000];                                                  // 1 s of 1 kHz at 16 kHz
        for (int i = 0; i < s.length; i++) s[i] = (float) (0.5 * Math.sin(2 * Math.PI * 1000 * i / 16000.0));
        Path png = tmp.resolve("answer.png");
        Spectrogram.write(new AudioClip(s, 16000), "a tone", png);
        var img = ImageIO.read(png.toFile());
        assertEquals(100 * 2 + 80, img.getWidth(), "2 px a 10 ms frame + margins");
        int top = 40 + 90 + 20, x = 40 + 100;                                         // the spectrogram's top row, a frame mid-clip
        int brightest = -1;
        float best = -1;
        for (int bin = 0; bin < 80; bin++) {
            Color c = new Color(img.getRGB(x, top + (79 - bin) * 3 + 1));
            float v = c.getRed() + c.getGreen() + c.getBlue();
            if (v > best) { best = v; brightest = bin; }
        }
        double hz = 700 * (Math.pow(10, (brightest + 0.5) * 2595.0 / 79 / 2595.0 * Math.log10(1 + 8000 / 700.0)) - 1);
        assertTrue(hz > 700 && hz < 1400, "the brightest mel row " + brightest + " is near 1 kHz (≈ " + Math.round(hz) + " Hz)");
        Color high = new Color(img.getRGB(x, top + 1));                                // the 8 kHz row
        assertTrue(high.getRed() + high.getGreen() + high.getBlue() < best / 2, "the top row is dark");
        assertFalse(Files.exists(tmp.resolve("none.png")));
        Spectrogram.write(new AudioClip(new float[100], 16000), "too short", tmp.resolve("none.png"));
        assertFalse(Files.exists(tmp.resolve("none.png")), "nothing for a clip shorter than a frame");
    }
}
