package dev.auris.pipeline;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.DType;
import dev.auris.core.Home;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The warm-up answers until the JIT settles, within its budget, and says what it did; it never asserts a pace. */
class WarmUpTest {
    @Test
    void answersUntilTheJitSettlesWithinItsBudget() {
        AudioClip clip = Audio.load(Home.resolve("examples/story-3.wav"));
        try (SpeechLlm m = SpeechLlm.load(Home.resolve("models/tiny"), DType.F32)) {
            assertEquals(new WarmUp.Result(0, 0, 0, 0, false), WarmUp.run(m, clip, Duration.ZERO));
            WarmUp.Result once = WarmUp.run(m, clip, Duration.ofNanos(1));                     // the budget is spent by the first answer
            assertEquals(1, once.answers());
            assertTrue(once.firstTokenMsCold() > 0 && once.firstTokenMsCold() == once.firstTokenMsWarm(), once.toString());
            WarmUp.Result r = WarmUp.run(m, clip, Duration.ofSeconds(120));
            System.out.println("warm-up: " + r);
            assertTrue(r.answers() >= 1 && r.seconds() > 0 && r.firstTokenMsWarm() > 0, r.toString());
            if (r.settled()) assertTrue(r.answers() >= WarmUp.QUIET, "settled after " + r.answers() + " answers: " + WarmUp.QUIET + " in a row must add no compilation");
            else assertTrue(r.seconds() >= 120, "stopped unsettled before its budget: " + r);
            var bad = assertThrows(IllegalArgumentException.class, () -> WarmUp.run(m, clip, Duration.ofSeconds(-1)));
            assertTrue(bad.getMessage().contains("warm-up budget must be ≥ 0"), bad.getMessage());
        }
    }
}
