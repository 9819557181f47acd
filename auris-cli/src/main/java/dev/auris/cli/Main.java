package dev.auris.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code auris} command line. Run from the repository root after building:
 * {@code ./auris --help}.
 */
@Command(name = "auris", mixinStandardHelpOptions = true, version = "auris 0.1.0",
        description = "Speech LLMs on the JVM: Whisper-style encoders and Llama-family LLMs on libtorch.",
        subcommands = {GenerateCommand.class, LogitsCommand.class, QuantizeCommand.class, MelCommand.class, EncodeAudioCommand.class,
                ConvertCommand.class, ComposeCommand.class, UnitsCommand.class, ChatCommand.class, TranscribeCommand.class, SynthCommand.class, TrainCommand.class, EvalCommand.class, BenchCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; errors in user input print one clear line, not a stack trace. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("auris " + cmd.getCommandName() + ": " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("AURIS_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }
}
