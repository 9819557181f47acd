package dev.auris.train.eval;

import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.features.LogMel;
import org.bytedeco.javacpp.PointerScope;

import javax.imageio.ImageIO;
import java.awt.*;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A picture of one spoken answer: its waveform above its log-mel spectrogram (80 bins, 10 ms frames, low
 * frequencies at the bottom, a magma-like colour scale over the clip's own range), with the answer's text as
 * the caption. Drawn with Java2D into a PNG.
 */
final class Spectrogram {
    private Spectrogram() {}

    private static final int PX_PER_FRAME = 2, BIN_PX = 3, WAVE_PX = 90, MARGIN = 40;
    private static final Color[] SCALE = {new Color(0, 0, 4), new Color(81, 18, 124), new Color(183, 55, 121),
            new Color(252, 137, 97), new Color(252, 253, 191)};

    /** Writes the picture of {@code clip} (16 kHz) to {@code png}; nothing for a clip shorter than one frame. */
    static void write(AudioClip clip, String caption, Path png) {
        LogMel mel = LogMel.of(80);
        int frames = mel.frames(clip.samples().length);
        if (frames < 1) return;
        float[] m;                                                                    // [80 · F], bin-major
        try (PointerScope scope = new PointerScope()) {
            m = Torch.toFloats(mel.compute(clip).contiguous());
        }
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : m) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        int w = frames * PX_PER_FRAME, h = 80 * BIN_PX;
        BufferedImage img = new BufferedImage(w + 2 * MARGIN, h + WAVE_PX + 3 * MARGIN, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.drawString(caption.length() > 140 ? caption.substring(0, 137) + "…" : caption, MARGIN, 24);
        int waveTop = MARGIN, mid = waveTop + WAVE_PX / 2;
        float[] s = clip.samples();
        g.setColor(new Color(31, 119, 180));
        for (int x = 0; x < w; x++) {                                                 // min/max envelope per pixel column
            int from = (int) ((long) x * s.length / w), to = Math.max(from + 1, (int) ((long) (x + 1) * s.length / w));
            float a = 0, b = 0;
            for (int i = from; i < to && i < s.length; i++) {
                a = Math.min(a, s[i]);
                b = Math.max(b, s[i]);
            }
            g.drawLine(MARGIN + x, mid - Math.round(b * WAVE_PX / 2), MARGIN + x, mid - Math.round(a * WAVE_PX / 2));
        }
        int top = waveTop + WAVE_PX + MARGIN / 2;
        for (int bin = 0; bin < 80; bin++) {
            for (int f = 0; f < frames; f++) {
                float v = (m[bin * frames + f] - lo) / Math.max(1e-6f, hi - lo);
                g.setColor(colour(v));
                g.fillRect(MARGIN + f * PX_PER_FRAME, top + (79 - bin) * BIN_PX, PX_PER_FRAME, BIN_PX);
            }
        }
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f s, log-mel 80 bins (0–8 kHz), 10 ms frames", clip.seconds()), MARGIN, top + h + 20);
        g.dispose();
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            ImageIO.write(img, "png", png.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }

    /** The colour of v ∈ [0, 1] on the scale, interpolated between its anchors. */
    static Color colour(float v) {
        float x = Math.max(0, Math.min(1, v)) * (SCALE.length - 1);
        int i = Math.min(SCALE.length - 2, (int) x);
        float t = x - i;
        Color a = SCALE[i], b = SCALE[i + 1];
        return new Color(Math.round(a.getRed() + t * (b.getRed() - a.getRed())), Math.round(a.getGreen() + t * (b.getGreen() - a.getGreen())),
                Math.round(a.getBlue() + t * (b.getBlue() - a.getBlue())));
    }
}
