package dev.auris.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.DType;
import dev.auris.io.WeightSource;
import dev.auris.prompt.PromptSpec;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.CodeHiFiGan;
import dev.auris.speech.SpeechDecoder;
import dev.auris.speech.SpeechDecoderConfig;
import dev.auris.speech.SpeechHead;
import dev.auris.testing.Fixtures;
import dev.auris.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A session with a speech head speaks its answer as it writes it: units and audio chunks interleave with
 * the text deltas, the text is the same as without the head, the chunks concatenate to the vocoder's audio
 * of all the units, and Done reports first-audio ms and the vocoder's real-time factor. (Random speech
 * decoder on stories260K, the golden tiny vocoder: this checks the plumbing, not the voice.)
 */
class SpeechOutTest {
    @TempDir
    static Path tmp;

    @Test
    void answerStreamsUnitsAndAudio() {
        var cfg = SpeechDecoderConfig.of("test", new ObjectMapper().createObjectNode().put("speech_generator_type", "ctc")
                .put("ctc_decoder_config", "(2,32,4,64)").put("ctc_upsample_factor", 4).put("unit_vocab_size", 20)
                .put("hidden_size", 64).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0));
        Path llm = Fixtures.stories260K(tmp);
        try (SpeechLlm m = SpeechLlm.compose(tmp.resolve("m"), Fixtures.whisperTiny(), llm, Map.of("type", "final"),
                Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96), new PromptSpec(null, null, null, true), false, 7, DType.F32);
             SpeechDecoder decoder = SpeechDecoder.load(cfg, WeightSource.random(3, 0.5), DType.F32);
             CodeHiFiGan vocoder = CodeHiFiGan.load(Golden.dir("speech/codehifigan-tiny").resolve("config.json"),
                     Golden.dir("speech/codehifigan-tiny").resolve("g_00000000.pt"))) {
            SpeechHead head = new SpeechHead(decoder, vocoder, 5);
            Turn q = Turn.user(Turn.text("Once upon a time"));
            List<Event> events = new ArrayList<>();
            Event.Done spoken, plain;
            try (SpeechSession s = m.newSession()) {
                spoken = s.respond(q, SamplingOptions.greedy(24), head, events::add);
            }
            try (SpeechSession s = m.newSession()) {
                plain = s.respond(q, SamplingOptions.greedy(24), e -> {});
            }
            assertEquals(plain.text(), spoken.text());
            assertTrue(Double.isNaN(plain.firstAudioMs()) && Double.isNaN(plain.vocoderRtf()));
            long[] units = events.stream().filter(e -> e instanceof Event.Units).flatMapToLong(e -> LongStream.of(((Event.Units) e).units())).toArray();
            List<float[]> chunks = events.stream().filter(e -> e instanceof Event.AudioChunk).map(e -> ((Event.AudioChunk) e).samples()).toList();
            int firstText = indexOf(events, Event.TextDelta.class), firstAudio = indexOf(events, Event.AudioChunk.class);
            assertTrue(units.length > 10 && chunks.size() > 1, units.length + " units, " + chunks.size() + " chunks");
            assertTrue(firstAudio < events.size() - 2 && events.subList(firstAudio, events.size()).stream().anyMatch(e -> e instanceof Event.TextDelta),
                    "audio interleaves with the text");
            float[] whole = vocoder.vocode(units);
            int n = 0;
            double err = 0;
            for (float[] c : chunks) for (float x : c) err = Math.max(err, Math.abs(x - whole[n++]));
            assertEquals(whole.length, n);
            assertTrue(err < 1e-4, "max |Δ| " + err);
            assertTrue(spoken.firstAudioMs() > 0 && spoken.vocoderRtf() > 0, spoken.toString());
            System.out.printf("speech out: %d tokens, %d units, %d chunks, first text event #%d, first audio #%d, first audio %.0f ms, vocoder RTF %.3f%n",
                    spoken.tokens(), units.length, chunks.size(), firstText, firstAudio, spoken.firstAudioMs(), spoken.vocoderRtf());
        }
    }

    private static int indexOf(List<Event> events, Class<?> type) {
        for (int i = 0; i < events.size(); i++) if (type.isInstance(events.get(i))) return i;
        return -1;
    }
}
