package dev.auris.serve;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The talk page in a real browser: Debian's chromium, headless, driven by chromedriver through Selenium
 * (W3C WebDriver), its fake microphone playing story-3.wav between silences. Hands-free: the server's VAD ends
 * the turn, and the answer must appear on the page with its first-token latency; with a speaking model the
 * answer's audio must start playing too. Skipped only where chromium or chromedriver is not installed
 * ({@code apt-get install chromium chromium-driver}, as .ci/run does); leaves target/talk-page.png.
 */
class ServeBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void speaksToThePageAndTheAnswerAppears(@TempDir Path tmp) throws Exception {
        Optional<Path> chromedriver = onPath("chromedriver");
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed (apt-get install chromium): the browser test is skipped");
        assumeTrue(chromedriver.isPresent(), "chromedriver is not installed (apt-get install chromium-driver): the browser test is skipped");
        Path wav = microphone(tmp);
        try (Server server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0))) {
            talk(server, chromedriver.get(), wav, "talk-page.png", false);
        }
    }

    @Test
    void speaksToAVoicedModelAndTheAnswerPlays(@TempDir Path tmp) throws Exception {
        Optional<Path> chromedriver = onPath("chromedriver");
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed (apt-get install chromium): the browser test is skipped");
        assumeTrue(chromedriver.isPresent(), "chromedriver is not installed (apt-get install chromium-driver): the browser test is skipped");
        Path wav = microphone(tmp);
        try (Server server = Server.start(TestModel.voiced(), TestModel.ID, ServeConfig.defaults().withPort(0))) {
            talk(server, chromedriver.get(), wav, "talk-page-spoken.png", true);
        }
    }

    /** 1 s of silence, the sentence, 3 s of silence: what the fake microphone plays. */
    static Path microphone(Path dir) throws Exception {
        AudioClip story = Audio.load(TestModel.story3());
        float[] mic = new float[16_000 + story.samples().length + 3 * 16_000];
        System.arraycopy(story.samples(), 0, mic, 16_000, story.samples().length);
        Path wav = dir.resolve("mic.wav");
        Wav.write(wav, new AudioClip(mic, 16_000));
        return wav;
    }

    /** Opens the page, talks hands-free, checks what appears (and, when {@code spoken}, that the answer plays). */
    static void talk(Server server, Path chromedriver, Path wav, String screenshot, boolean spoken) throws Exception {
        java.util.logging.Logger.getLogger("org.openqa.selenium").setLevel(java.util.logging.Level.SEVERE); // no CDP-version notices: WebDriver is all this uses
        Path profile = Files.createTempDirectory("auris-chromium-profile"); // outside JUnit's temp dir: see the cleanup below
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--use-file-for-fake-audio-capture=" + wav + "%noloop", "--autoplay-policy=no-user-gesture-required",
                "--user-data-dir=" + profile, "--window-size=390,844");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        List<ProcessHandle> before = ProcessHandle.current().descendants().toList();
        WebDriver driver = new ChromeDriver(service, options);
        List<ProcessHandle> ours = ProcessHandle.current().descendants().filter(h -> !before.contains(h)).toList(); // chromedriver and its chromium
        try {
            var js = (JavascriptExecutor) driver;
            driver.get("http://127.0.0.1:" + server.port() + "/");
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
            wait.until(d -> d.findElement(By.id("status")).getText().equals("connected"));
            driver.findElement(By.id("handsfree")).click();
            driver.findElement(By.id("talk")).click(); // pointerdown: the microphone opens and streams until the VAD ends the turn
            String answer = await(driver, Duration.ofSeconds(90), "an answer", d -> d.findElements(By.cssSelector(".assistant")).stream()
                    .map(e -> (String) js.executeScript("return arguments[0].firstChild ? arguments[0].firstChild.textContent : ''", e))
                    .filter(t -> !t.isEmpty()).findFirst().orElse(null));
            String status = driver.findElement(By.id("status")).getText();
            String heard = await(driver, Duration.ofSeconds(60), "the transcript", d -> d.findElements(By.cssSelector(".user")).stream()
                    .map(e -> e.getText()).filter(t -> !t.contains("…")).findFirst().orElse(null));
            Object audio = spoken ? await(driver, Duration.ofSeconds(60), "audio playback", d -> js.executeScript(
                    "return window.aurisPlayback && window.aurisPlayback.started ? window.aurisPlayback : null")) : null;
            System.out.println("browser: heard '" + heard + "', answered '" + answer + "', " + status + (spoken ? "; playback " + audio : ""));
            assertFalse(answer.isBlank());
            assertTrue(heard.startsWith("You (spoken): ") && heard.length() > 16, heard);
            assertTrue(status.startsWith("first token after") || status.contains("first token"), status);
            if (spoken) assertTrue(driver.findElement(By.id("latency")).getText().contains("first audio"), driver.findElement(By.id("latency")).getText());
            Files.write(Path.of("target", screenshot), ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        } finally {
            try {
                driver.quit();
            } finally {
                // chromium's helpers (zygote, renderers, crashpad) can outlive quit() and keep writing to the profile:
                // end every process this test started, by id, wait for each, then remove the profile best-effort
                List<ProcessHandle> tree = Stream.concat(ours.stream(), ours.stream().flatMap(ProcessHandle::descendants)).distinct().toList();
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

    private static <T> T await(WebDriver driver, Duration limit, String what, java.util.function.Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(driver, limit, Duration.ofMillis(200)).until(condition);
        } catch (TimeoutException e) {
            return fail("no " + what + " within " + limit.toSeconds() + " s; page: " + driver.findElement(By.id("log")).getText()
                    + " | " + driver.findElement(By.id("status")).getText());
        }
    }

    static Optional<Path> onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator))
                .map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | java.io.UncheckedIOException ignored) {
            // best effort: a temp folder left behind harms nothing
        }
    }
}
