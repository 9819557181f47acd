package dev.auris.train.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * The setup step of synthesis: engines a recipe names but this machine lacks are installed from Debian
 * (apt-get, when running as root), so a recipe never silently trains on fewer voices than it asks for.
 */
public final class EngineSetup {
    private EngineSetup() {}

    /** Installs the missing engines' packages; throws, naming the packages, when an engine is still missing. */
    public static void ensure(List<TtsEngine> engines, Consumer<String> log) {
        LinkedHashSet<String> missing = new LinkedHashSet<>();
        for (TtsEngine e : engines) if (!e.available()) missing.addAll(e.packages());
        if (missing.isEmpty()) return;
        if (Processes.onPath("apt-get") && "root".equals(System.getProperty("user.name"))) {
            log.accept("installing TTS engines: apt-get install " + String.join(" ", missing));
            List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
            install.addAll(missing);
            try {
                Processes.run(install, 900);
            } catch (IllegalStateException first) {
                Processes.run(List.of("apt-get", "update", "-q"), 900); // a fresh machine has no package lists yet
                Processes.run(install, 900);
            }
        }
        List<String> still = new ArrayList<>();
        for (TtsEngine e : engines) if (!e.available()) still.add(e.name());
        if (!still.isEmpty()) {
            throw new IllegalStateException("TTS engine(s) " + still + " are not installed and could not be installed here: run as root "
                    + "`apt-get install " + String.join(" ", missing) + "`, or remove them from the recipe's synth.engines "
                    + "(or set synth.install_engines to false to skip them)");
        }
    }
}
