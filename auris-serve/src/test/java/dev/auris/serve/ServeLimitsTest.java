package dev.auris.serve;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Admission and release: the bounded sessions and queue, 429 with Retry-After, the time limit, a client that leaves. */
class ServeLimitsTest {
    private static Server start(int sessions, int queue, Duration timeout) {
        return Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0).withLimits(sessions, queue, timeout));
    }

    /** Occupies one inference thread until the latch opens (what a long answer does), from a thread of its own. */
    private static Thread occupy(InferencePool pool, CountDownLatch started, CountDownLatch release) {
        return Thread.ofPlatform().start(() -> pool.call(Duration.ofSeconds(60), new InferencePool.Token(), t -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
    }

    @Test
    void fullQueueIs429WithRetryAfterThenServesAgain() throws Exception {
        try (Server server = start(1, 0, Duration.ofSeconds(60))) {
            Http http = new Http(server.port(), null);
            CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
            Thread busy = occupy(server.pool(), started, release);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            var r = http.postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4));
            assertEquals(429, r.status(), r.body());
            assertEquals("server_busy", r.code());
            assertEquals("rate_limit_error", r.json().path("error").path("type").asText());
            int retry = Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(retry >= 1, "Retry-After " + retry);
            release.countDown();
            busy.join(10_000);
            assertEquals(200, http.postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4)).status());
        }
    }

    @Test
    void queuedRequestWaitsForTheSession() throws Exception {
        try (Server server = start(1, 1, Duration.ofSeconds(60))) {
            Http http = new Http(server.port(), null);
            CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
            Thread busy = occupy(server.pool(), started, release);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            var queued = java.util.concurrent.CompletableFuture.supplyAsync(() -> http.postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4)));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.pool().queued() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(1, server.pool().queued(), "the second request waits in the queue");
            assertEquals(429, http.postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4)).status(), "the third finds it full");
            release.countDown();
            assertEquals(200, queued.get(30, TimeUnit.SECONDS).status());
            busy.join(10_000);
        }
    }

    @Test
    void timeLimitIs504AndFreesTheSession() throws Exception {
        try (Server server = start(1, 4, Duration.ofMillis(1))) {
            Http http = new Http(server.port(), null);
            var r = http.postJson("/v1/chat/completions", Http.chatWithAudio(TestModel.base64(TestModel.story3()), 64));
            assertEquals(504, r.status(), r.body());
            assertEquals("request_timeout", r.code());
            assertEquals(200, http.get("/v1/models").status());
            awaitIdle(server);
        }
    }

    /** Greedy and unbounded: the answer runs until the context is full, hundreds of tokens to cut. */
    private static final String LONG = "{\"model\": \"tiny\", \"temperature\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}]}";

    @Test
    void clientThatLeavesMidStreamFreesItsSessionAtOnce() throws Exception {
        try (Server server = start(1, 0, Duration.ofSeconds(60))) {
            var full = new Http(server.port(), null).postJson("/v1/chat/completions", LONG);
            assertTrue(full.json().path("usage").path("completion_tokens").asInt() > 300, full.body());
            String body = LONG.replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true");
            long left;
            try (Socket s = send(server, body)) {
                var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("data: ")) { /* headers */ }
                assertNotNull(line, "the stream started");
                left = System.nanoTime();
            } // closed after the first event
            double ms = awaitIdle(server, left);
            System.out.printf("streamed: client left after the first event; session free after %.0f ms, %d answers cut%n", ms, server.disconnects());
            assertEquals(1, server.disconnects(), "the answer was cut when the client left, not finished");
            assertTrue(ms < 1000, "freed at once, not at the end of the answer: " + ms + " ms");
            assertEquals(200, new Http(server.port(), null).postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4)).status());
        }
    }

    @Test
    void clientThatLeavesBeforeAWholeAnswerFreesItsSessionAtOnce() throws Exception {
        try (Server server = start(1, 0, Duration.ofSeconds(60))) {
            long left;
            try (Socket s = send(server, LONG)) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (server.decoding() == 0 && System.nanoTime() < deadline) Thread.sleep(1);
                assertEquals(1, server.decoding(), "the answer is decoding");
                left = System.nanoTime();
            } // closed while the answer is computed: nothing was written to it yet
            double ms = awaitIdle(server, left);
            System.out.printf("whole: client left mid-answer; session free after %.0f ms, %d answers cut%n", ms, server.disconnects());
            assertEquals(1, server.disconnects(), "the answer was cut when the client left, not finished");
            assertTrue(ms < 1000, "freed at once: " + ms + " ms");
            assertEquals(200, new Http(server.port(), null).postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4)).status(),
                    "the next request is served");
        }
    }

    @Test
    void clientThatLeavesWhileQueuedGivesItsPlaceUp() throws Exception {
        try (Server server = start(1, 1, Duration.ofSeconds(60))) {
            CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
            Thread busy = occupy(server.pool(), started, release);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            try (Socket s = send(server, LONG)) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (server.pool().queued() == 0 && System.nanoTime() < deadline) Thread.sleep(1);
                assertEquals(1, server.pool().queued());
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (server.pool().queued() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(0, server.pool().queued(), "the queue place was given up while the session was still busy");
            release.countDown();
            busy.join(10_000);
            assertEquals(200, new Http(server.port(), null).postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 4)).status());
        }
    }

    private static Socket send(Server server, String body) throws java.io.IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        OutputStream out = s.getOutputStream();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(b);
        out.flush();
        return s;
    }

    /** Waits until nothing decodes or holds a session; the ms since {@code since}. */
    private static double awaitIdle(Server server, long since) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while ((server.activeSessions() > 0 || server.decoding() > 0) && System.nanoTime() < deadline) Thread.sleep(1);
        assertEquals(0, server.activeSessions(), "the session was released");
        assertEquals(0, server.decoding(), "the answer left the batch");
        return (System.nanoTime() - since) / 1e6;
    }

    private static void awaitIdle(Server server) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (server.activeSessions() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(0, server.activeSessions(), "the session was released");
    }
}
