package dev.auris.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress line: step, bar, loss, learning rate, throughput, ETA. Redrawn in place on a terminal; on
 * a pipe (CI) one line per 5 % of the stage.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean tty;
    private final boolean quiet;
    private long start = System.nanoTime();
    private int lastPercent = -1;

    public Progress(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
        this.tty = System.console() != null && System.console().isTerminal() && System.getenv("CI") == null;
    }

    public static Progress silent() {
        return new Progress(System.err, true);
    }

    void message(String m) {
        if (!quiet) out.println(m);
    }

    void step(String stage, int done, int total, int step, int steps, double loss, double lr, double tokPerS, double audioPerS, double val) {
        if (quiet) return;
        if (done == 1) start = System.nanoTime();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = done > 0 ? elapsed / done * (total - done) : 0;
        int percent = 100 * step / steps;
        int filled = 20 * step / steps;
        String line = String.format(Locale.ROOT, "[%s] %d/%d %s loss %.4f%s lr %.2e | %.0f tok/s %.1f audio-s/s | ETA %s",
                stage, step, steps, "█".repeat(filled) + "░".repeat(20 - filled), loss, Double.isNaN(val) ? "" : String.format(Locale.ROOT, " val %.4f", val),
                lr, tokPerS, audioPerS, eta < 60 ? String.format(Locale.ROOT, "%.0fs", eta) : String.format(Locale.ROOT, "%dm%02ds", (int) eta / 60, (int) eta % 60));
        if (tty) {
            out.print("\r" + line + "   ");
        } else if (percent / 5 != lastPercent / 5 || step == steps) {
            out.println(line);
        }
        lastPercent = percent;
        out.flush();
    }

    void done() {
        if (!quiet && tty) out.println();
    }
}
