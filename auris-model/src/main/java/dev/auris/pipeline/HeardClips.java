package dev.auris.pipeline;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.prompt.Turn;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

import java.nio.ByteBuffer;
import java.util.*;

/**
 * What a conversation's clips were heard as, kept on the Java heap from one {@link SpeechSession} to the next:
 * a server opens a session per response and replays the conversation, and without this every past clip would
 * be heard again at every turn. It also lets a clip be heard ahead ({@link #hearAhead}), while the
 * user is still silent, before anyone asks for an answer: the response then finds the clip heard and only
 * feeds the prompt. Holds no native memory (a heard clip's embeddings are kept as their bytes and made a
 * tensor again in the session that reads them), so it needs no closing; clips are keyed by identity, as a
 * session keys them, and only for the {@link Hearing} that heard them. Thread-safe.
 */
public final class HeardClips {
    /** What is kept of one heard clip: token ids, or the embeddings' raw bytes, dtype and shape [T', D]. */
    private sealed interface Kept {}

    private record Ids(int[] ids) implements Kept {}

    private record Values(byte[] bytes, DType dtype, long[] shape) implements Kept {}

    private final SpeechLlm model;
    private final Hearing hearing;
    private final Map<Turn.Speech, Kept> kept = new IdentityHashMap<>();
    private int hits, misses;

    /** An empty memory of what clips are heard as by {@code model} ({@link SpeechLlm#newSession(HeardClips)}). */
    public HeardClips(SpeechLlm model) {
        this.model = model;
        this.hearing = model.hearing();
    }

    /**
     * Hears a clip now, before any prompt holds it: a server hears the user's speech while it waits to be sure
     * the turn has ended, and the response then only feeds the prompt. Nothing when the clip is remembered
     * already; no native memory outlives the call. Runs where inference runs (libtorch's scopes are per thread).
     */
    public void hearAhead(Turn.Speech clip) {
        if (contains(clip)) return;
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            remember(clip, model.hear(clip.clip(), hearing));
        }
    }

    /** The hearing it remembers for. */
    Hearing hearing() { return hearing; }

    /** What the clip was heard as, made again in the caller's scope; empty when it was not heard here yet. */
    synchronized Optional<Hearing.Heard> recall(Turn.Speech clip) {
        Kept k = kept.get(clip);
        if (k == null) {
            misses++;
            return Optional.empty();
        }
        hits++;
        return Optional.of(switch (k) {
            case Ids i -> new Hearing.Tokens(i.ids().clone());
            case Values v -> new Hearing.Embeddings(Torch.fromBytes(ByteBuffer.wrap(v.bytes()), v.dtype(), v.shape()));
        });
    }

    /** Keeps a copy of what the clip was heard as (the caller still owns {@code heard}'s tensor). */
    void remember(Turn.Speech clip, Hearing.Heard heard) {
        Kept k = switch (heard) {
            case Hearing.Tokens t -> new Ids(t.ids().clone());
            case Hearing.Embeddings e -> {
                ByteBuffer direct = Torch.toBytes(e.embeddings());
                byte[] bytes = new byte[direct.remaining()];
                direct.get(bytes);
                yield new Values(bytes, Torch.dtype(e.embeddings().scalar_type()), Torch.shape(e.embeddings()));
            }
        };
        synchronized (this) { kept.put(clip, k); }
    }

    /** Whether the clip was heard here. */
    public synchronized boolean contains(Turn.Speech clip) { return kept.containsKey(clip); }

    /**
     * The clip's transcript, as {@code auris transcribe} prints it, when the clip was heard here as that transcript
     * (the joint decoder's answer to the transcription instruction, {@link Hearing.Transcript}); else empty.
     */
    public Optional<String> transcript(Turn.Speech clip) {
        if (!(hearing instanceof Hearing.Transcript) || !model.hasTranscriptionInstruction()) return Optional.empty();
        Kept k;
        synchronized (this) { k = kept.get(clip); }
        return k instanceof Ids i ? Optional.of(model.text().tokenizer().decode(i.ids()).strip()) : Optional.empty();
    }

    /** Forgets every clip but {@code live} (the ones still in the conversation). */
    public synchronized void retain(Collection<Turn.Speech> live) {
        Set<Turn.Speech> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        keep.addAll(live);
        kept.keySet().removeIf(c -> !keep.contains(c));
    }

    /** Clips kept now. */
    public synchronized int size() { return kept.size(); }

    /** Recalls that found the clip heard, and that did not (a session then heard it itself). */
    public synchronized int[] hitsAndMisses() { return new int[]{hits, misses}; }
}
