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

    @Override
    public void run() {
        if (threads != null) dev.auris.core.Torch.setThreads(threads);
        var results = RecipeRunner.run(Options.resolve(recipe), out, resume, new Progress(System.err, quiet));
        for (var r : results) {
            System.out.printf(Locale.ROOT, "%s: loss %.4f -> %.4f, %.1f s, %.0f tokens/s, %.2f audio-s/s%n", r.stage(), r.result().firstLoss(),
                    r.result().trainLoss(), r.result().seconds(), r.result().tokensPerSecond(), r.result().audioSecondsPerSecond());
        }
    }
}
