package dev.auris.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.Home;
import dev.auris.core.DType;
import dev.auris.sample.Generator;
import dev.auris.sample.SamplingOptions;
import dev.auris.tokenizer.Llama2cTokenizer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** The converted stories260K generates exactly what llama2.c run.c prints at temperature 0. */
class Stories260KTest {
    @TempDir
    static Path tmp;
    static Path dir;

    @BeforeAll
    static void convert() {
        dir = dev.auris.testing.Fixtures.stories260K(tmp);
    }

    /** run.c's steps = positions forwarded; each forward prints one token (prompt tokens first). */
    @Test
    void greedyMatchesLlama2c() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Home.resolve("testdata/golden/stories260K/greedy.json").toFile());
        try (TextModel m = TextModel.load(dir, DType.F32)) {
            assertEquals(64, m.llm().config().hiddenSize());
            for (JsonNode c : golden.get("cases")) {
                String prompt = c.get("prompt").asText();
                int steps = c.get("steps").asInt();
                int[] promptIds = m.tokenizer().encode(prompt);
                int[] ids = new int[promptIds.length + 1];
                ids[0] = Llama2cTokenizer.BOS;
                System.arraycopy(promptIds, 0, ids, 1, promptIds.length);
                try (var scope = new PointerScope(); Session s = m.llm().newSession()) {
                    var r = Generator.generate(s, s.prefill(ids), m.tokenizer(), SamplingOptions.greedy(steps - ids.length + 1), m.eosIds(), t -> {});
                    int[] all = new int[promptIds.length + r.tokens().length];
                    System.arraycopy(promptIds, 0, all, 0, promptIds.length);
                    System.arraycopy(r.tokens(), 0, all, promptIds.length, r.tokens().length);
                    assertEquals(c.get("text").asText(), m.tokenizer().decode(all) + "\n", "prompt '" + prompt + "' " + Arrays.toString(promptIds));
                }
            }
        }
    }

    /** A session's tokens are the text positions still held: truncating after embedded positions keeps the right ones. */
    @Test
    void truncateKeepsTheTokensBeforeTheCutAcrossEmbeddedPositions() {
        try (TextModel m = TextModel.load(dir, DType.F32); var scope = new PointerScope(); Session s = m.llm().newSession()) {
            s.prefill(new int[]{1, 300});
            s.prefill(m.llm().embed(dev.auris.core.Torch.fromInts(new int[]{301, 302, 303})));  // 3 embedded positions
            s.prefill(new int[]{304, 305});
            assertArrayEquals(new int[]{1, 300, 304, 305}, s.tokens());
            s.truncate(6);                                                                      // drops 305
            assertArrayEquals(new int[]{1, 300, 304}, s.tokens());
            s.truncate(3);                                                                      // inside the embedded run
            assertArrayEquals(new int[]{1, 300}, s.tokens());
            assertEquals(3, s.position());
        }
    }
}
