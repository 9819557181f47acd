package dev.auris.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.imageio.ImageIO;
import java.awt.*;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code metrics.jsonl} (one row per step) and {@code loss.png} (training and validation loss by step), drawn with Java2D. */
final class Metrics {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Path dir;

    Metrics(Path dir) {
        this.dir = dir;
        this.file = dir.resolve("metrics.jsonl");
    }

    ObjectNode row(int step, double loss, double lr, double gradNorm, double tokensPerSecond, double audioPerSecond, double elapsed) {
        return JSON.createObjectNode().put("step", step).put("loss", loss).put("lr", lr).put("grad_norm", gradNorm)
                .put("tokens_per_s", tokensPerSecond).put("audio_s_per_s", audioPerSecond).put("elapsed_s", elapsed);
    }

    void write(ObjectNode row) {
        try {
            Files.createDirectories(dir);
            Files.writeString(file, row + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Draws loss.png from metrics.jsonl. */
    void plot(String title) {
        List<double[]> train = new ArrayList<>(), val = new ArrayList<>();
        try {
            if (!Files.exists(file)) return;
            for (String line : Files.readAllLines(file)) {
                JsonNode j = JSON.readTree(line);
                train.add(new double[]{j.get("step").asDouble(), j.get("loss").asDouble()});
                if (j.has("val_loss")) val.add(new double[]{j.get("step").asDouble(), j.get("val_loss").asDouble()});
            }
            if (train.isEmpty()) return;
            int w = 800, h = 450, l = 70, r = 20, t = 40, b = 50;
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            double maxStep = train.getLast()[0], minL = Double.MAX_VALUE, maxL = -Double.MAX_VALUE;
            for (var p : train) { minL = Math.min(minL, p[1]); maxL = Math.max(maxL, p[1]); }
            for (var p : val) { minL = Math.min(minL, p[1]); maxL = Math.max(maxL, p[1]); }
            if (maxL == minL) maxL = minL + 1;
            final double lo = minL, hi = maxL;
            java.util.function.DoubleUnaryOperator x = s -> l + (w - l - r) * (s / Math.max(1, maxStep));
            java.util.function.DoubleUnaryOperator y = v -> t + (h - t - b) * (1 - (v - lo) / (hi - lo));
            g.setColor(Color.GRAY);
            g.drawRect(l, t, w - l - r, h - t - b);
            g.setColor(Color.BLACK);
            g.drawString(title + ": loss by step", l, 25);
            g.drawString(String.format(Locale.ROOT, "%.3f", hi), 5, t + 5);
            g.drawString(String.format(Locale.ROOT, "%.3f", lo), 5, h - b);
            g.drawString("0", l, h - b + 18);
            g.drawString(String.valueOf((int) maxStep), w - r - 40, h - b + 18);
            g.setColor(new Color(31, 119, 180));
            g.setStroke(new BasicStroke(1.5f));
            for (int i = 1; i < train.size(); i++) {
                g.drawLine((int) x.applyAsDouble(train.get(i - 1)[0]), (int) y.applyAsDouble(train.get(i - 1)[1]),
                        (int) x.applyAsDouble(train.get(i)[0]), (int) y.applyAsDouble(train.get(i)[1]));
            }
            g.setColor(new Color(214, 39, 40));
            for (var p : val) g.fillOval((int) x.applyAsDouble(p[0]) - 4, (int) y.applyAsDouble(p[1]) - 4, 8, 8);
            g.drawString("● validation", w - r - 120, t + 20);
            g.setColor(new Color(31, 119, 180));
            g.drawString("— training", w - r - 120, t + 36);
            g.dispose();
            ImageIO.write(img, "png", dir.resolve("loss.png").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
