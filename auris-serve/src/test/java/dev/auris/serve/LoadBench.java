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
 * -Dtest=LoadBench -Dauris.bench=true verify} (options: -Dbench.clients=64 -Dbench.seconds=30 -Dbench.rssRequests=2000).
 * Streaming clients each send the spoken story-3.wav (max_tokens 32) in a loop for a bounded time, backing off
 * by Retry-After on 429; it reports completed, rejected and failed requests, first-token latency p50 / p99,
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
        int clients = Integer.getInteger("bench.clients", 64), seconds = Integer.getInteger("bench.seconds", 30);
        int rssRequests = Integer.getInteger("bench.rssRequests", 2000);
        try (Server server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0))) {
            String body = Http.chatWithAudio(TestModel.base64(TestModel.story3()), 32).replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true");
            HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
            run(http, uri, body, 1, 5); // warm-up
            Stats one = run(http, uri, body, 1, Math.max(5, seconds / 3));
            System.out.println(one.line("1 client"));
            Stats many = run(http, uri, body, clients, seconds);
            System.out.println(many.line(clients + " clients"));
            System.out.printf(Locale.ROOT, "aggregate tokens/s %d clients vs 1: %.2fx%n", clients, many.tokensPerSecond() / one.tokensPerSecond());
            // resident memory over many requests: short text answers, 8 at a time (2 decoding, the rest queued)
            String small = Http.chatWithText("Once upon a time", 8).replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true");
            run(http, uri, small, 8, 0, 200);
            long before = rssKb();
            Stats rss = run(http, uri, small, 8, 0, rssRequests);
            long after = rssKb();
            System.out.println(rss.line(rssRequests + " requests"));
            System.out.printf(Locale.ROOT, "resident memory before %d MB, after %d MB (%+d MB)%n", before >> 10, after >> 10, (after - before) >> 10);
        }
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
