import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resident memory of a running {@code auris serve} over many requests (issue 23, docs/FUZZING.md):
 * {@code java tools/ServeSoak.java PID PORT [REQUESTS] [CLIENTS] [WAV]}. Sends a fixed mix — of every 100
 * requests: 45 typed chats, 40 typed chats streamed, 6 spoken (base64 WAV, the first second of the clip)
 * whole and 6 streamed, 2 asking for a spoken answer, 1 transcription — from CLIENTS loops, backing off on
 * 429; reads the server's VmRSS from /proc/PID/status after a warm-up of 5 % of the requests and every 10 %
 * after it. Exit status 1 when a request failed (not counting 429s).
 */
public class ServeSoak {
    static final AtomicLong ok = new AtomicLong(), busy = new AtomicLong(), failed = new AtomicLong(), sent = new AtomicLong();

    public static void main(String[] a) throws Exception {
        long pid = Long.parseLong(a[0]);
        int port = Integer.parseInt(a[1]);
        int total = a.length > 2 ? Integer.parseInt(a[2]) : 10_000, clients = a.length > 3 ? Integer.parseInt(a[3]) : 8;
        byte[] wav = firstSecond(Files.readAllBytes(Path.of(a.length > 4 ? a[4] : "examples/story-3.wav")));
        String b64 = Base64.getEncoder().encodeToString(wav);
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String text = "{\"model\": \"tiny\", \"temperature\": 0, \"max_tokens\": 8, \"messages\": [{\"role\": \"user\", \"content\": \"%s\"}]%s}";
        String spoken = "{\"model\": \"tiny\", \"temperature\": 0, \"max_tokens\": 8, \"messages\": [{\"role\": \"user\", \"content\": "
                + "[{\"type\": \"input_audio\", \"input_audio\": {\"data\": \"" + b64 + "\", \"format\": \"wav\"}}]}]%s}";
        String[] prompts = {"Once upon a time", "The cat sat on the", "Lily wanted to play", "He saw a big red"};
        int warm = Math.max(1, total / 20), step = Math.max(1, total / 10);
        long t0 = System.nanoTime();
        run(http, base, clients, warm, text, spoken, prompts, wav);
        long rss0 = rssKb(pid);
        System.out.printf(Locale.ROOT, "after warm-up (%d requests): VmRSS %d KB%n", warm, rss0);
        long[] samples = new long[10];
        for (int i = 0; i < 10; i++) {
            run(http, base, clients, step, text, spoken, prompts, wav);
            samples[i] = rssKb(pid);
            System.out.printf(Locale.ROOT, "%6d requests: VmRSS %d KB (%+.2f %%), %.0f s%n", warm + (i + 1L) * step, samples[i],
                    100.0 * (samples[i] - rss0) / rss0, (System.nanoTime() - t0) / 1e9);
        }
        long last = samples[9], max = Arrays.stream(samples).max().orElseThrow();
        System.out.printf(Locale.ROOT, "%d requests after warm-up (%d ok, %d 429, %d failed) in %.0f s: VmRSS %d → %d KB (%+.2f %%), peak %d KB%n",
                10L * step, ok.get(), busy.get(), failed.get(), (System.nanoTime() - t0) / 1e9, rss0, last, 100.0 * (last - rss0) / rss0, max);
        System.exit(failed.get() == 0 ? 0 : 1);
    }

    static void run(HttpClient http, String base, int clients, int n, String text, String spoken, String[] prompts, byte[] wav) throws Exception {
        AtomicLong left = new AtomicLong(n);
        try (ExecutorService ex = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                ex.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        long i = sent.getAndIncrement();
                        int kind = (int) (i % 100);
                        HttpRequest req;
                        if (kind == 99) {
                            req = multipart(base, wav);
                        } else {
                            String body = kind < 45 ? String.format(text, prompts[(int) (i % 4)], "")
                                    : kind < 85 ? String.format(text, prompts[(int) (i % 4)], ", \"stream\": true")
                                    : kind < 91 ? String.format(spoken, "")
                                    : kind < 97 ? String.format(spoken, ", \"stream\": true")
                                    : String.format(text, prompts[(int) (i % 4)], ", \"modalities\": [\"text\", \"audio\"], \"audio\": {\"voice\": \"alloy\", \"format\": \"wav\"}");
                            req = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).timeout(Duration.ofSeconds(300))
                                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
                        }
                        send(http, req);
                    }
                    return null;
                });
            }
        }
    }

    static void send(HttpClient http, HttpRequest req) {
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) ok.incrementAndGet();
            else if (r.statusCode() == 429) {
                busy.incrementAndGet();
                Thread.sleep(1000L * Integer.parseInt(r.headers().firstValue("Retry-After").orElse("1")));
            } else {
                failed.incrementAndGet();
                System.err.println("HTTP " + r.statusCode() + ": " + r.body().substring(0, Math.min(300, r.body().length())));
            }
        } catch (Exception e) {
            failed.incrementAndGet();
            System.err.println("failed: " + e);
        }
    }

    static HttpRequest multipart(String base, byte[] wav) {
        String boundary = "soak" + System.nanoTime();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ntiny\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n").getBytes();
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes();
        ByteBuffer b = ByteBuffer.allocate(head.length + wav.length + tail.length).put(head).put(wav).put(tail);
        return HttpRequest.newBuilder(URI.create(base + "/v1/audio/transcriptions")).timeout(Duration.ofSeconds(300))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(HttpRequest.BodyPublishers.ofByteArray(b.array())).build();
    }

    /** The clip cut to its first second (a canonical 44-byte-header PCM WAV: its data size and RIFF size rewritten). */
    static byte[] firstSecond(byte[] wav) {
        ByteBuffer h = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        int rate = h.getInt(24), blockAlign = h.getShort(32);
        int data = Math.min(h.getInt(40), rate * blockAlign);
        byte[] out = Arrays.copyOf(wav, 44 + data);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 36 + data).putInt(40, data);
        return out;
    }

    static long rssKb(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        throw new IllegalStateException("no process " + pid);
    }
}
