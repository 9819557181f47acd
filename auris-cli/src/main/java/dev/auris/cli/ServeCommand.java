package dev.auris.cli;

import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.WarmUp;
import dev.auris.serve.ServeConfig;
import dev.auris.serve.Server;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** {@code auris serve [--model DIR] [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--max-sessions N]}: OpenAI-compatible HTTP server. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a speech LLM over OpenAI's HTTP API: POST /v1/chat/completions (text and input_audio parts, stream: true),",
                "POST /v1/audio/transcriptions, GET /v1/models, live voice on the WebSocket /v1/realtime, and a page to talk to it at /.", "Loopback only unless --host says otherwise."})
final class ServeCommand implements Runnable {
    @Option(names = "--model", defaultValue = "models/tiny", description = "Auris model directory (default: ${DEFAULT-VALUE}).")
    Path model;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for all).")
    String host;
    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;
    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' (default: AURIS_API_KEY, else no key).")
    String apiKey;
    @Option(names = "--max-sessions", defaultValue = "8", description = "Requests in flight at once; their answers decode together in one batch (default: ${DEFAULT-VALUE}).")
    int maxSessions;
    @Option(names = "--max-queue", defaultValue = "32", description = "Requests waiting beyond those; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;
    @Option(names = "--timeout", defaultValue = "120", description = "Seconds a request may take, queue included (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;
    @Option(names = "--max-audio-seconds", defaultValue = "30", description = "Longest clip accepted (default: ${DEFAULT-VALUE}).")
    double maxAudioSeconds;
    @Option(names = "--heard-cache-mb", defaultValue = "64", description = {"Megabytes of what past chat requests' clips were heard as, kept by their audio, so a client",
            "that sends its conversation again hears only the new clip (default: ${DEFAULT-VALUE}; 0 keeps nothing)."})
    long heardCacheMb;
    @Option(names = "--warm-up", defaultValue = "20", description = {"Seconds at most to answer a bundled clip (examples/story-3.wav) before listening, until the JIT",
            "has compiled a turn's code, so the first user meets the working pace (default: ${DEFAULT-VALUE}; 0 skips)."})
    double warmUpSeconds;
    @Option(names = "--model-id", description = "Name clients give as \"model\" (default: the model directory's name).")
    String modelId;
    @Mixin
    Options options;

    @Override
    public void run() {
        var precision = options.precision();
        Path dir = Options.resolve(model);
        String key = apiKey != null ? apiKey : System.getenv("AURIS_API_KEY");
        var config = new ServeConfig(host, port, key, maxSessions, maxQueue, Duration.ofSeconds(timeoutSeconds), ServeConfig.OPENAI_BODY_LIMIT, maxAudioSeconds,
                heardCacheMb > Long.MAX_VALUE >> 20 ? Long.MAX_VALUE : heardCacheMb << 20);
        String id = modelId != null ? modelId : dir.toAbsolutePath().normalize().getFileName().toString();
        if (!(warmUpSeconds >= 0 && warmUpSeconds <= 3600)) throw new IllegalArgumentException("--warm-up must be in [0, 3600] seconds, got " + warmUpSeconds);
        try (SpeechLlm m = SpeechLlm.load(dir, precision)) {
            warmUp(m);
            serve(m, id, config, key);
        }
    }

    private void warmUp(SpeechLlm m) {
        if (warmUpSeconds == 0) return;
        Path clip = dev.auris.core.Home.resolve("examples/story-3.wav");
        if (!java.nio.file.Files.isRegularFile(clip)) {
            System.err.println("auris serve: no warm-up (" + clip + " is missing); the first answers run at a cold pace");
            return;
        }
        var r = WarmUp.run(m, dev.auris.audio.Audio.load(clip), Duration.ofMillis((long) (warmUpSeconds * 1000)));
        System.err.printf(java.util.Locale.ROOT, "auris serve: warmed up in %.1f s (%d answers; first token %.0f → %.0f ms%s)%n", r.seconds(), r.answers(),
                r.firstTokenMsCold(), r.firstTokenMsWarm(), r.settled() ? "" : "; the JIT was still compiling at the budget's end");
    }

    private void serve(SpeechLlm m, String id, ServeConfig config, String key) {
        try (Server server = Server.start(m, id, config)) {
            System.err.printf("auris serve: model '%s' at http://%s:%d/ (OpenAI base URL http://%s:%d/v1)%s; Ctrl-C stops%n",
                    id, host, server.port(), host, server.port(), key != null ? ", API key required" : "");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
