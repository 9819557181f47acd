package dev.auris.serve;

import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Concurrent requests decode together: their answers share the decode loop's batch (seen at width > 1), joining
 * and leaving at different times (prompts and budgets differ), and each greedy answer is the one its request
 * gets alone, token for token.
 */
class ServeBatchTest {
    private static final String[] PROMPTS = {"Once upon a time", "The little dog ran to the big red", "Tom", "She saw a bird in the tree and she",
            "Lily and Ben went to the park. They", "The sun"};

    @Test
    void concurrentAnswersShareTheBatchAndEqualTheirOwn() throws Exception {
        try (Server server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0).withLimits(PROMPTS.length, 8, Duration.ofSeconds(60)));
             var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicInteger widest = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();
            Thread watch = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    widest.accumulateAndGet(server.decoding(), Math::max);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            List<CompletableFuture<String>> answers = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                int max = 40 + 17 * i;
                String body = Http.chatWithText(PROMPTS[i], max);
                answers.add(CompletableFuture.supplyAsync(() -> {
                    var r = new Http(server.port(), null).postJson("/v1/chat/completions", body);
                    assertEquals(200, r.status(), r.body());
                    return r.json().path("choices").path(0).path("message").path("content").asText();
                }, pool));
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get();
            done.set(true);
            watch.join();
            System.out.println("widest batch: " + widest.get() + " answers");
            assertTrue(widest.get() > 1, "answers decoded together");
            for (int i = 0; i < PROMPTS.length; i++) {
                try (SpeechSession s = TestModel.get().newSession()) {
                    String alone = s.respond(Turn.user(Turn.text(PROMPTS[i])), SamplingOptions.greedy(40 + 17 * i), e -> {}).text();
                    assertEquals(alone, answers.get(i).get(), "answer " + i + " (" + PROMPTS[i] + ")");
                }
            }
        }
    }
}
