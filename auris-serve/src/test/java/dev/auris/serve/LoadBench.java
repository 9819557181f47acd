package dev.auris.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load benchmark, not a timed test: {@code ./mvnw -B -o -pl auris-serve -am -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtest=LoadBench -Dauris.bench=true verify} (options: -Dbench.clients=1,4,16,64 -Dbench.seconds=30 -Dbench.sessions=16
 * -Dbench.inputs=text,audio -Dbench.rssRequests=2000). For each input (a typed prompt answered in 64 tokens, or the
 * spoken story-3.wav in 32) and each client count, streaming clients send it in a loop for a bounded time, backing
 * off by Retry-After on 429; it reports completed, rejected and failed requests, first-token latency p50 / p99,
 * aggregate tokens/s against one client alone, and resident memory before and after many requests.
 */
@EnabledIfSystemProperty(named = "auris.bench", matches = "true")
class LoadBench {
    static final ObjectMapper JSON = new ObjectMapper();

    record Stats(long completed, long rejected, long failed, long tokens, List<Double> firstTokenMs, double seconds) {
        double tokensPerSecond() { return tokens / seconds; }

        double percentile(double p) {
            if (firstTokenMs.isEmpty()) return Double.NaN;
            List<Double> s = firstTokenMs.stream().sorted().toList();
            return s.get((int) Math.min(s.size() - 1, Math.floor(p * s.size())));
        }

        String line(String name) {
            return String.format(Locale.ROOT, "%s: %d completed, %d rejected (429), %d failed in %.0f s; first token p50 %.0f ms, p99 %.0f ms; %.1f tokens/s",
                    name, completed, rejected, failed, seconds, percentile(0.5), percentile(0.99), tokensPerSecond());
        }
    }

    @Test
    void load() throws Exception {
        int[] counts = Arrays.stream(System.getProperty("bench.clients", "1,4,16,64").split(",")).mapToInt(Integer::parseInt).toArray();
        int seconds = Integer.getInteger("bench.seconds", 30), rssRequests = Integer.getInteger("bench.rssRequests", 2000);
        int sessions = Integer.getInteger("bench.sessions", 16);
        List<String> inputs = List.of(System.getProperty("bench.inputs", "text,audio").split(","));
        try (Server server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0).withLimits(sessions, 64, Duration.ofSeconds(120))
                .withHeardBytes(0))) {   // every client sends the same clip: keep nothing, so each request hears it
            HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
            System.out.printf(Locale.ROOT, "%s, %d cores; --max-sessions %d (answers decoding in one batch), --max-queue 64%n", cpu(), Runtime.getRuntime().availableProcessors(), sessions);
            for (String input : inputs) {
                // text: a typed prompt, 64 tokens (decode-bound); audio: the spoken story-3.wav, 32 tokens (hearing-bound)
                String body = (input.equals("audio") ? Http.chatWithAudio(TestModel.base64(TestModel.story3()), 32) : Http.chatWithText("Once upon a time", 64))
                        .replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true");
                run(http, uri, body, 1, 3); // warm-up
                Stats one = null;
                for (int clients : counts) {
                    Stats st = run(http, uri, body, clients, seconds);
                    if (one == null) one = st;
                    System.out.println(st.line(input + ", " + clients + " client" + (clients == 1 ? "" : "s"))
                            + String.format(Locale.ROOT, "; %.2fx one client's tokens/s", st.tokensPerSecond() / one.tokensPerSecond()));
                }
            }
            if (rssRequests == 0) return;
            // resident memory over many requests: short text answers, 8 at a time
            String small = Http.chatWithText("Once upon a time", 8).replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true");
            run(http, uri, small, 8, 0, 200);
            long before = rssKb();
            Stats rss = run(http, uri, small, 8, 0, rssRequests);
            long after = rssKb();
            System.out.println(rss.line(rssRequests + " requests"));
            System.out.printf(Locale.ROOT, "resident memory before %d MB, after %d MB (%+d MB)%n", before >> 10, after >> 10, (after - before) >> 10);
        }
    }

    private static String cpu() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
        return "unknown CPU";
    }

    private static Stats run(HttpClient http, URI uri, String body, int clients, int seconds) throws Exception {
        return run(http, uri, body, clients, seconds, Long.MAX_VALUE);
    }

    /** {@code clients} loops, each until the time is up ({@code seconds} > 0) or {@code requests} have been sent in all. */
    private static Stats run(HttpClient http, URI uri, String body, int clients, int seconds, long requests) throws Exception {
        AtomicLong completed = new AtomicLong(), rejected = new AtomicLong(), failed = new AtomicLong(), tokens = new AtomicLong(), sent = new AtomicLong();
        List<Double> first = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime(), end = seconds > 0 ? t0 + seconds * 1_000_000_000L : Long.MAX_VALUE;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                ex.submit(() -> {
                    while (System.nanoTime() < end && sent.incrementAndGet() <= requests) {
                        long s = System.nanoTime();
                        try {
                            HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(180))
                                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
                            if (r.statusCode() == 429) {
                                r.body().close();
                                rejected.incrementAndGet();
                                Thread.sleep(1000L * Integer.parseInt(r.headers().firstValue("Retry-After").orElse("1")));
                                continue;
                            }
                            if (r.statusCode() != 200) {
                                failed.incrementAndGet();
                                r.body().close();
                                continue;
                            }
                            boolean[] seen = {false};
                            long[] n = {0};
                            r.body().forEach(line -> {
                                if (!line.startsWith("data: {")) return;
                                try {
                                    String d = JSON.readTree(line.substring(6)).path("choices").path(0).path("delta").path("content").asText("");
                                    if (!d.isEmpty()) {
                                        n[0]++;
                                        if (!seen[0]) {
                                            seen[0] = true;
                                            first.add((System.nanoTime() - s) / 1e6);
                                        }
                                    }
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
                            completed.incrementAndGet();
                            tokens.addAndGet(n[0]);
                        } catch (Exception e) {
                            failed.incrementAndGet();
                            System.err.println("failed: " + e);
                        }
                    }
                    return null;
                });
            }
        }
        return new Stats(completed.get(), rejected.get(), failed.get(), tokens.get(), first, (System.nanoTime() - t0) / 1e9);
    }

    private static long rssKb() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        return -1;
    }
}
