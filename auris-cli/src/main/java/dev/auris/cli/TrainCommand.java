package dev.auris.cli;

import dev.auris.train.Progress;
import dev.auris.train.RecipeRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

/** {@code auris train --recipe recipes/llasm.json --out runs/llasm [--resume]}. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run a training recipe (recipes/*.json): its stages in order, each writing OUT/<stage> (an Auris model directory),",
                "with metrics.jsonl, loss.png and checkpoints/. --resume continues an interrupted run exactly."})
final class TrainCommand implements Runnable {
    /** Starts nproc copies of this command with torchrun's variables, rank 0 printing progress; fails if any fails. */
    private void launch() {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int threads = Math.max(1, (this.threads != null ? this.threads : Runtime.getRuntime().availableProcessors()) / nproc);
        java.util.List<Process> ps = new java.util.ArrayList<>();
        try {
            for (int rank = 0; rank < nproc; rank++) {
                java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin, "--enable-native-access=ALL-UNNAMED",
                        "-Dauris.home=" + dev.auris.core.Home.dir(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                        "train", "--recipe", recipe.toString(), "--out", out.toString(), "--threads", String.valueOf(threads)));
                if (resume) cmd.add("--resume");
                if (fromStage != null) cmd.addAll(java.util.List.of("--from-stage", fromStage));
                if (quiet || rank > 0) cmd.add("--quiet");
                ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
                pb.environment().putAll(java.util.Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", String.valueOf(port),
                        "RANK", String.valueOf(rank), "WORLD_SIZE", String.valueOf(nproc)));
                ps.add(pb.start());
            }
            Thread stopRanks = new Thread(() -> {                 // Ctrl-C / SIGTERM here: each rank stops at the same step, then this
                ps.forEach(Process::destroy);
                for (Process p : ps) {
                    try {
                        p.waitFor(dev.auris.train.StopRequest.WAIT_SECONDS + 10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "auris-train-ranks");
            Runtime.getRuntime().addShutdownHook(stopRanks);
            int failed = 0;
            for (Process p : ps) if (p.waitFor() != 0) failed++;
            try {
                Runtime.getRuntime().removeShutdownHook(stopRanks);
            } catch (IllegalStateException shuttingDown) {
                // the hook is stopping the ranks
            }
            if (failed > 0) throw new IllegalStateException(failed + " of " + nproc + " training processes failed");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            ps.forEach(Process::destroy);
        }
    }

    @Option(names = "--recipe", required = true, description = "Recipe JSON.")
    Path recipe;
    @Option(names = "--out", required = true, description = "Run directory.")
    Path out;
    @Option(names = "--resume", description = "Skip finished stages and continue the running one from its last checkpoint.")
    boolean resume;
    @Option(names = "--threads", description = "CPU threads (default: all cores).")
    Integer threads;
    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;
    @Option(names = "--from-stage", description = "Start at this section (synth, encoder, a stage's name, publish, voice), reusing the run's earlier outputs; 'voice' gives an already-published model its voice.")
    String fromStage;
    @Option(names = "--nproc", defaultValue = "1", description = "Data-parallel processes on this machine (c10d Gloo over 127.0.0.1; see README for several machines).")
    int nproc;

    @Override
    public void run() {
        if (nproc > 1 && System.getenv("WORLD_SIZE") == null) {
            launch();
            return;
        }
        if (threads != null) dev.auris.core.Torch.setThreads(threads);
        dev.auris.train.StopRequest.run("auris train: ", () -> {    // Ctrl-C / SIGTERM: the running step ends and is checkpointed
            var results = RecipeRunner.run(Options.resolve(recipe), out, resume, new Progress(System.err, quiet), fromStage);
            for (var r : results) {
                System.out.printf(Locale.ROOT, "%s: loss %.4f -> %.4f, %.1f s, %.0f tokens/s, %.2f audio-s/s%n", r.stage(), r.result().firstLoss(),
                        r.result().trainLoss(), r.result().seconds(), r.result().tokensPerSecond(), r.result().audioSecondsPerSecond());
            }
        });
    }
}
