package dev.auris.sample;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.llm.Session;
import dev.auris.llm.TextModel;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A running batch whose answers have different prompt lengths, join at different steps and leave at
 * different times gives each answer, greedy, exactly the tokens the one-sequence Generator gives.
 */
class ContinuousBatchTest {
    @TempDir
    static Path tmp;

    private static final String[] PROMPTS = {"Once upon a time", "The little dog ran to the big red", "Tom", "She saw a bird in the tree and she",
            "Lily and Ben went to the park. They"};
    private static final int[] JOIN_AT = {0, 0, 3, 5, 9};   // the step each answer joins at
    private static final int[] MAX = {40, 12, 30, 25, 35};   // so answers leave at different steps

    @Test
    void joiningAndLeavingRowsEqualTheirUnbatchedGreedyRuns() {
        try (TextModel m = TextModel.load(dev.auris.testing.Fixtures.stories260K(tmp), DType.F32); var guard = new NoGradGuard();
             var scope = new PointerScope(); ContinuousBatch batch = new ContinuousBatch(m.llm())) {
            var tok = m.tokenizer();
            List<Session> sessions = new ArrayList<>();
            Map<Decoding, Integer> which = new HashMap<>();
            Map<Integer, StringBuilder> streamed = new HashMap<>();
            Generator.Result[] batched = new Generator.Result[PROMPTS.length];
            int sizes = 0;
            for (int step = 0, joined = 0; joined < PROMPTS.length || batch.size() > 0; step++) {
                while (joined < PROMPTS.length && JOIN_AT[joined] <= step) {
                    int i = joined++;
                    Session s = m.llm().newSession();
                    sessions.add(s);
                    int[] ids = tok.encode(PROMPTS[i]);
                    streamed.put(i, new StringBuilder());
                    Decoding d = new Decoding(tok, SamplingOptions.greedy(MAX[i]), m.eosIds(), ids, streamed.get(i)::append, null);
                    which.put(d, i);
                    batch.join(s, s.prefill(ids), d, i % 2 == 0);
                }
                sizes = Math.max(sizes, batch.size());
                for (ContinuousBatch.Member done : batch.step()) batched[which.get(done.decoding())] = done.decoding().result();
            }
            assertEquals(PROMPTS.length, sizes, "every answer was in the batch at once at some step");
            for (int i = 0; i < PROMPTS.length; i++) {
                try (Session s = m.llm().newSession()) {
                    int[] ids = tok.encode(PROMPTS[i]);
                    var one = Generator.generate(s, s.prefill(ids), tok, SamplingOptions.greedy(MAX[i]), m.eosIds(), d -> {});
                    assertArrayEquals(one.tokens(), batched[i].tokens(), "answer " + i + " (" + PROMPTS[i] + ")");
                    assertEquals(one.text(), batched[i].text());
                    assertEquals(one.text(), streamed.get(i).toString(), "the streamed deltas add up to the answer");
                    assertEquals(one.stop(), batched[i].stop());
                    if (i % 2 == 0) { // kept: the session holds the answer's positions and goes on as the unbatched one
                        Session kept = sessions.get(i);
                        assertEquals(s.position(), kept.position(), "answer " + i + ": positions handed back");
                        assertArrayEquals(s.tokens(), kept.tokens());
                        float[] a = Torch.toFloats(s.step(tok.encode(" and")[0])), b = Torch.toFloats(kept.step(tok.encode(" and")[0]));
                        for (int v = 0; v < a.length; v++) assertEquals(a[v], b[v], 1e-4, "logit " + v + " after the kept answer");
                    } else {
                        assertEquals(ids.length, sessions.get(i).position(), "not kept: the session is as it was");
                    }
                }
            }
            sessions.forEach(Session::close);
        }
    }
}
