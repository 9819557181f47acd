package dev.auris.train;

import dev.auris.core.DType;
import dev.auris.core.Home;
import dev.auris.io.WeightSource;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.Turn;
import dev.auris.speech.SpeechDecoder;
import dev.auris.speech.SpeechDecoderConfig;
import dev.auris.train.data.Example;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LLaMA-Omni stage 2 on a toy case: models/tiny's frozen LLM, a one-layer speech decoder, each answer's
 * "units" a fixed function of its tokens (two per token). The CTC loss falls (last 5 steps ≤ 0.8 × the
 * first 3) and every tensor of the speech LLM is bit-for-bit unchanged.
 */
class UnitCtcObjectiveTest {
    @TempDir
    Path tmp;

    @Test
    void lossFallsAndTheLlmStaysFrozen() {
        try (SpeechLlm m = SpeechLlm.load(Home.resolve("models/tiny"), DType.F32)) {
            Map<String, byte[]> before = TrainFixtures.snapshot(Trainer.all(m));
            String[] prompts = {"Tom had a big red ball.", "The cat sat on the mat.", "Lily went to the park.", "The sun was hot."};
            String[] answers = {"He liked to play with it.", "It was very happy.", "She saw a big tree.", "They went to swim."};
            List<Example> train = new ArrayList<>();
            Map<Example, long[]> units = new IdentityHashMap<>();
            int k = 16;
            for (int i = 0; i < prompts.length; i++) {
                Example e = new Example(i + 1, "voice", List.of(Turn.user(Turn.text(prompts[i]))), answers[i], null);
                train.add(e);
                int[] ids = m.text().tokenizer().encodeContinuation(answers[i]);
                long[] u = new long[ids.length * 2];
                for (int j = 0; j < ids.length; j++) {
                    u[2 * j] = ids[j] % k;
                    u[2 * j + 1] = (ids[j] * 7 + 3) % k;
                }
                units.put(e, dev.auris.units.Codebook.dedup(u));
            }
            var c = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("speech_generator_type", "ctc").put("ctc_decoder_config", "(1,32,2,64)")
                    .put("ctc_upsample_factor", 4).put("unit_vocab_size", k).put("hidden_size", m.text().llm().config().hiddenSize());
            StageConfig stage = new StageConfig("speech-decoder", "unit-ctc", List.of("speech_decoder"), null, List.of(new StageConfig.DataSource("toy", 1)), List.of(),
                    40, 4, 1, 3e-3, 2, 0.1, 0.0, 1.0, 20, 20, 1, 7, 0, 0);
            try (SpeechDecoder d = SpeechDecoder.load(SpeechDecoderConfig.of("toy", c), WeightSource.random(5, 0.02), DType.F32);
                 UnitCtcObjective o = new UnitCtcObjective(m, d, train, train, units, 4, 7)) {
                new TrainingLoop(stage, tmp, Progress.silent(), TrainingLoop.Options.STAGE).run(o, false);
            }
            RecipesTest.assertFalls(tmp, 0.8);
            Map<String, byte[]> after = TrainFixtures.snapshot(Trainer.all(m));
            assertEquals(before.keySet(), after.keySet());
            before.forEach((n, b) -> assertArrayEquals(b, after.get(n), n + " changed"));
        }
    }

    @Test
    void unitCtcTrainsOnlyTheSpeechDecoder() {
        var e = assertThrows(IllegalArgumentException.class, () -> new StageConfig("s", "unit-ctc", List.of("speech_decoder", "lora"), null,
                List.of(new StageConfig.DataSource("x", 1)), List.of(), 1, 1, 1, 1e-3, 0, 0.1, 0, 1, 1, 1, 1, 1, 0, 0));
        assertTrue(e.getMessage().contains("LLM frozen"), e.getMessage());
    }
}
