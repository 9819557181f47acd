package dev.auris.core;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Auris installation directory (the repository root, holding {@code assets/} and {@code models/}):
 * the {@code auris.home} system property that the {@code ./auris} launcher sets, else the nearest parent of
 * the working directory that has an {@code assets} folder.
 */
public final class Home {
    private Home() {}

    public static Path dir() {
        String prop = System.getProperty("auris.home");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath().normalize();
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve("assets")) && Files.isRegularFile(q.resolve("pom.xml"))) return q;
        }
        return p;
    }

    public static Path resolve(String relative) {
        return dir().resolve(relative);
    }
}
