package dev.auris.pipeline;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.DType;
import dev.auris.testing.Fixtures;
import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.prompt.PromptSpec;
import dev.auris.prompt.Turn;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A conversation's memory of its heard clips: a clip heard ahead, or in an earlier session, fills its prompt exactly
 * as hearing it again would (the same logits, bit for bit), without hearing it again; for models/tiny, which hears a
 * clip as its transcript, and for a model that hears the connector's soft embeddings.
 */
class HeardClipsTest {
    @TempDir
    static Path tmp;

    static Turn.Speech speech() {
        AudioClip story = Audio.load(Home.resolve("examples/story-3.wav"));
        return Turn.speech(new AudioClip(Arrays.copyOf(story.samples(), 2 * 16000), 16000));
    }

    /** Logits [V] of the first answer token to {@code user}, in a session with {@code memory} (null: none). */
    static float[] firstLogits(SpeechLlm m, HeardClips memory, List<Turn> past, Turn user) {
        try (SpeechSession s = memory == null ? m.newSession() : m.newSession(memory); PointerScope scope = new PointerScope()) {
            past.forEach(s::add);
            return Torch.toFloats(s.prefill(user));
        }
    }

    @Test
    void aClipHeardAheadOrBeforeIsNotHeardAgainAndFillsThePromptTheSame() {
        try (SpeechLlm m = SpeechLlm.load(Home.resolve("models/tiny"), DType.F32)) {
            assertInstanceOf(Hearing.Transcript.class, m.hearing());
            Turn.Speech clip = speech();
            Turn user = Turn.user(clip);
            float[] fresh = firstLogits(m, null, List.of(), user);

            HeardClips memory = new HeardClips(m);
            long objects = Pointer.totalCount();
            memory.hearAhead(clip);
            assertTrue(Pointer.totalCount() <= objects, "hearing ahead keeps no native memory");
            assertTrue(memory.contains(clip));
            assertArrayEquals(fresh, firstLogits(m, memory, List.of(), user), "heard ahead = heard in the session");
            assertArrayEquals(new int[]{1, 0}, memory.hitsAndMisses());

            // the next turn replays the conversation in a new session: the clip is recalled, not heard again
            List<Turn> past = List.of(user, Turn.assistant("Once upon a time"));
            Turn next = Turn.user(Turn.text("What happened then?"));
            assertArrayEquals(firstLogits(m, null, past, next), firstLogits(m, memory, past, next));
            assertArrayEquals(new int[]{2, 0}, memory.hitsAndMisses());

            // the transcript it was heard as is what `auris transcribe` prints
            String printed = m.transcriber(Transcriber.Kind.JOINT).transcribe(clip.clip(), 96);
            assertFalse(printed.isBlank());
            assertEquals(printed, memory.transcript(clip).orElseThrow());

            memory.retain(List.of());
            assertEquals(0, memory.size());
            assertFalse(memory.contains(clip));
        }
    }

    @Test
    void softEmbeddingsAreKeptAsTheirBytes() {
        try (SpeechLlm m = SpeechLlm.compose(tmp.resolve("soft"), Fixtures.whisperTiny(), Fixtures.stories260K(tmp), Map.of("type", "final"),
                Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96), new PromptSpec(null, null, null, true), false, 7, DType.F32)) {
            assertInstanceOf(Hearing.Soft.class, m.hearing());
            Turn.Speech clip = Turn.speech(Fixtures.jfk(0.5, 1.2));
            Turn user = Turn.user(clip);
            HeardClips memory = new HeardClips(m);
            float[] first = firstLogits(m, memory, List.of(), user);                   // heard, remembered
            assertArrayEquals(new int[]{0, 1}, memory.hitsAndMisses());
            assertArrayEquals(first, firstLogits(m, memory, List.of(), user));         // recalled from the bytes
            assertArrayEquals(first, firstLogits(m, null, List.of(), user));
            assertArrayEquals(new int[]{1, 1}, memory.hitsAndMisses());
            assertTrue(memory.transcript(clip).isEmpty(), "a clip heard as embeddings has no transcript");
            try (PointerScope scope = new PointerScope()) {
                Tensor e = ((Hearing.Embeddings) memory.recall(clip).orElseThrow()).embeddings();
                assertEquals(2, e.dim());
                assertEquals(m.llm().config().hiddenSize(), e.size(1));
            }
        }
    }

    @Test
    void aServersMemoryKnowsAClipByItsAudioAndKeepsTheLeastRecentlyUsedWithinItsBudget() {
        try (SpeechLlm m = SpeechLlm.compose(tmp.resolve("content"), Fixtures.whisperTiny(), Fixtures.stories260K(tmp), Map.of("type", "final"),
                Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96), new PromptSpec(null, null, null, true), false, 7, DType.F32)) {
            AudioClip jfk = Fixtures.jfk(0.5, 1.2);
            Turn.Speech a = Turn.speech(jfk), again = Turn.speech(new AudioClip(jfk.samples().clone(), jfk.sampleRate()));
            HeardClips memory = HeardClips.byContent(m, 1L << 20);
            float[] first = firstLogits(m, memory, List.of(), Turn.user(a));
            assertTrue(memory.contains(again), "another request's copy of the same audio is the same clip");
            assertArrayEquals(first, firstLogits(m, memory, List.of(), Turn.user(again)), "recalled = heard");
            assertArrayEquals(new int[]{1, 1}, memory.hitsAndMisses());
            long one = memory.bytes();
            assertTrue(one > 0);

            float[] other = jfk.samples().clone();
            other[100] += 1e-3f;                                                        // one sample differs: another clip
            Turn.Speech b = Turn.speech(new AudioClip(other, jfk.sampleRate()));
            assertFalse(memory.contains(b));
            assertFalse(memory.contains(Turn.speech(new AudioClip(jfk.samples(), 8000))), "the rate is part of the audio");

            HeardClips small = HeardClips.byContent(m, one + one / 2);                  // room for one clip
            memory.retain(List.of());
            assertEquals(0, memory.bytes());
            small.hearAhead(a);
            small.hearAhead(b);
            assertEquals(1, small.size(), "over the budget the least recently used clip goes");
            assertTrue(small.contains(b));
            assertFalse(small.contains(a));
            assertEquals(one, small.bytes());
            assertThrows(IllegalArgumentException.class, () -> HeardClips.byContent(m, 0));
        }
    }
}
