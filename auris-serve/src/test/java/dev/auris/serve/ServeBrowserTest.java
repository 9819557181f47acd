package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The talk page in a real browser: Debian's chromium, headless, its fake microphone playing story-3.wav between
 * silences, driven over the DevTools protocol (java.net.http.WebSocket; no driver needed). Hands-free: the
 * server's VAD ends the turn, and the answer must appear on the page. Skipped where chromium is not installed
 * ({@code apt-get install chromium}); leaves target/talk-page.png.
 */
class ServeBrowserTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The DevTools protocol on one page: commands answered by id, events ignored. */
    static final class Cdp implements WebSocket.Listener, AutoCloseable {
        final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        final AtomicInteger ids = new AtomicInteger();
        final StringBuilder partial = new StringBuilder();
        final WebSocket ws;

        Cdp(String url) { ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), this).join(); }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode m = JSON.readTree(partial.toString());
                    if (m.has("id")) pending.remove(m.get("id").asInt()).complete(m);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            w.request(1);
            return null;
        }

        JsonNode call(String method, Map<String, Object> params) throws Exception {
            int id = ids.incrementAndGet();
            var f = new CompletableFuture<JsonNode>();
            pending.put(id, f);
            ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
            msg.set("params", JSON.valueToTree(params));
            ws.sendText(msg.toString(), true).join();
            JsonNode r = f.get(30, TimeUnit.SECONDS);
            if (r.has("error")) throw new AssertionError(method + ": " + r.get("error"));
            return r.path("result");
        }

        String eval(String js) throws Exception {
            return call("Runtime.evaluate", Map.of("expression", js, "awaitPromise", true, "returnByValue", true)).path("result").path("value").asText("");
        }

        @Override
        public void close() { ws.abort(); }
    }

    @Test
    void speaksToThePageAndTheAnswerAppears(@TempDir Path tmp) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.isExecutable(chromium), "chromium is not installed (apt-get install chromium)");
        AudioClip story = Audio.load(TestModel.story3());
        float[] mic = new float[16_000 + story.samples().length + 3 * 16_000]; // 1 s, the sentence, 3 s of silence
        System.arraycopy(story.samples(), 0, mic, 16_000, story.samples().length);
        Path wav = tmp.resolve("mic.wav");
        Wav.write(wav, new AudioClip(mic, 16_000));
        try (Server server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0))) {
            Path profile = java.nio.file.Files.createTempDirectory("auris-chromium-profile");
            Process browser = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--use-file-for-fake-audio-capture=" + wav + "%noloop",
                    "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                    "--window-size=390,844", "about:blank").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                String devtools = devtoolsUrl(browser);
                String http = "http://" + URI.create(devtools).getAuthority();
                JsonNode pages = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(http + "/json/list")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                String pageWs = null;
                for (JsonNode p : pages) if (p.path("type").asText().equals("page")) pageWs = p.path("webSocketDebuggerUrl").asText();
                assertNotNull(pageWs, pages.toString());
                try (Cdp page = new Cdp(pageWs)) {
                    page.call("Page.enable", Map.of());
                    page.call("Page.navigate", Map.of("url", "http://127.0.0.1:" + server.port() + "/"));
                    await(page, "document.readyState === 'complete' && document.getElementById('status').textContent === 'connected'", 20);
                    page.eval("document.getElementById('handsfree').click()");
                    page.eval("document.getElementById('talk').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); 'ok'");
                    await(page, "[...document.querySelectorAll('.assistant')].some(e => e.firstChild && e.firstChild.textContent.length > 0)", 90);
                    String answer = page.eval("document.querySelector('.assistant').firstChild.textContent");
                    String status = page.eval("document.getElementById('status').textContent");
                    await(page, "document.querySelector('.user') && !document.querySelector('.user').textContent.includes('…')", 60);
                    String heard = page.eval("document.querySelector('.user').textContent");
                    System.out.println("browser: heard '" + heard + "', answered '" + answer + "', " + status);
                    assertFalse(answer.isBlank());
                    assertTrue(heard.startsWith("You (spoken): ") && heard.length() > 16, heard);
                    assertTrue(status.startsWith("first token after"), status);
                    String png = page.call("Page.captureScreenshot", Map.of("format", "png")).path("data").asText();
                    Files.write(Path.of("target", "talk-page.png"), Base64.getDecoder().decode(png));
                }
            } finally {
                // chromium's helpers (zygote, renderers, crashpad) outlive its main process and keep writing to the
                // profile: end the whole tree and wait for every process, then remove the profile best-effort
                var tree = java.util.stream.Stream.concat(browser.descendants(), java.util.stream.Stream.of(browser.toHandle())).toList();
                tree.forEach(ProcessHandle::destroyForcibly);
                for (ProcessHandle h : tree) {
                    try {
                        h.onExit().get(10, TimeUnit.SECONDS);
                    } catch (Exception ignored) {
                        // gone or stuck: the profile is outside JUnit's temp dir, so cleanup cannot fail on it
                    }
                }
                deleteQuietly(profile);
            }
        }
    }

    private static void await(Cdp page, String condition, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (page.eval("!!(" + condition + ")").equals("true")) return;
            Thread.sleep(200);
        }
        fail("not within " + seconds + " s: " + condition + "; page log: " + page.eval("document.getElementById('log').innerText + ' | ' + document.getElementById('status').textContent"));
    }

    /** Chromium prints "DevTools listening on ws://..." on stderr once it is up. */
    private static void deleteQuietly(Path dir) {
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | java.io.UncheckedIOException ignored) {
            // best effort: a temp folder left behind harms nothing
        }
    }

    private static String devtoolsUrl(Process browser) throws Exception {
        var in = new BufferedReader(new InputStreamReader(browser.getErrorStream()));
        var url = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = in.readLine()) != null; ) if (line.startsWith("DevTools listening on ")) return line.substring(22).trim();
            } catch (Exception ignored) {
                // fall through
            }
            return null;
        });
        String u = url.get(30, TimeUnit.SECONDS);
        assertNotNull(u, "chromium did not start its DevTools endpoint");
        Thread.ofVirtual().start(() -> { try { in.transferTo(java.io.Writer.nullWriter()); } catch (Exception ignored) { } }); // keep draining
        return u;
    }
}
