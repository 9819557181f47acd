package dev.auris.pipeline;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.prompt.Turn;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.*;

/**
 * What a conversation's clips were heard as, kept on the Java heap from one {@link SpeechSession} to the next:
 * a server opens a session per response and replays the conversation, and without this every past clip would
 * be heard again at every turn. It also lets a clip be heard ahead ({@link #hearAhead}), while the
 * user is still silent, before anyone asks for an answer: the response then finds the clip heard and only
 * feeds the prompt. Holds no native memory (a heard clip's embeddings are kept as their bytes and made a
 * tensor again in the session that reads them), so it needs no closing; it serves only the {@link Hearing}
 * that heard its clips. Thread-safe.
 *
 * <p>A conversation's memory ({@link #HeardClips(SpeechLlm)}) keys clips by identity, as a session does, and
 * forgets what {@link #retain} drops. A server's memory ({@link #byContent}) keys them by what they hold, the
 * samples' SHA-256 and the rate, so a stateless client that sends its whole conversation again with every
 * request (OpenAI's chat completions) finds its past clips heard; the least recently used go beyond a byte budget.
 */
public final class HeardClips {
    /** What is kept of one heard clip: token ids, or the embeddings' raw bytes, dtype and shape [T', D]. */
    private sealed interface Kept {}

    private record Ids(int[] ids) implements Kept {}

    private record Values(byte[] bytes, DType dtype, long[] shape) implements Kept {}

    /** A clip as a conversation keys it: this very object. */
    private record Same(Turn.Speech clip) {
        @Override public boolean equals(Object o) { return o instanceof Same s && s.clip == clip; }
        @Override public int hashCode() { return System.identityHashCode(clip); }
    }

    /** A clip as a server keys it: its samples' SHA-256 (float bits, little-endian) and its rate. */
    private record Content(String sha256, int sampleRate) {
        static Content of(Turn.Speech clip) {
            float[] x = clip.clip().samples();
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
            ByteBuffer b = ByteBuffer.allocate(16384 * Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int at = 0; at < x.length; at += 16384) {                         // in blocks: no copy of the whole clip
                int n = Math.min(16384, x.length - at);
                b.clear();
                b.asFloatBuffer().put(x, at, n);
                b.limit(n * Float.BYTES);
                sha.update(b);
            }
            return new Content(HexFormat.of().formatHex(sha.digest()), clip.clip().sampleRate());
        }
    }

    private final SpeechLlm model;
    private final Hearing hearing;
    private final boolean byContent;
    private final long maxBytes;
    private final LinkedHashMap<Object, Kept> kept = new LinkedHashMap<>(16, 0.75f, true); // least recently used first
    private long bytes;
    private int hits, misses;

    /** An empty memory of what a conversation's clips are heard as by {@code model} ({@link SpeechLlm#newSession(HeardClips)}). */
    public HeardClips(SpeechLlm model) {
        this(model, false, Long.MAX_VALUE);
    }

    private HeardClips(SpeechLlm model, boolean byContent, long maxBytes) {
        if (maxBytes <= 0) throw new IllegalArgumentException("a memory of heard clips needs a positive byte budget, got " + maxBytes);
        this.model = model;
        this.hearing = model.hearing();
        this.byContent = byContent;
        this.maxBytes = maxBytes;
    }

    /**
     * An empty memory shared by a server's requests: clips with the same samples and rate are one clip, and the
     * least recently used are forgotten once what is kept exceeds {@code maxBytes} (the last one heard is kept).
     */
    public static HeardClips byContent(SpeechLlm model, long maxBytes) {
        return new HeardClips(model, true, maxBytes);
    }

    private Object key(Turn.Speech clip) { return byContent ? Content.of(clip) : new Same(clip); }

    /**
     * Hears a clip now, before any prompt holds it: a server hears the user's speech while it waits to be sure
     * the turn has ended, and the response then only feeds the prompt. Nothing when the clip is remembered
     * already; no native memory outlives the call. Runs where inference runs (libtorch's scopes are per thread).
     */
    public void hearAhead(Turn.Speech clip) {
        Object key = key(clip);
        synchronized (this) {
            if (kept.containsKey(key)) return;
        }
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            remember(key, model.hear(clip.clip(), hearing));
        }
    }

    /** The hearing it remembers for. */
    Hearing hearing() { return hearing; }

    /** What the clip was heard as, made again in the caller's scope; empty when it was not heard here yet. */
    Optional<Hearing.Heard> recall(Turn.Speech clip) { return recall(key(clip)); }

    /**
     * What the clip was heard as: recalled when it was heard here, else heard by {@code hear} now and remembered
     * (its key made once: for a server's memory, one pass of SHA-256 over the samples).
     */
    Hearing.Heard recallOrHear(Turn.Speech clip, java.util.function.Supplier<Hearing.Heard> hear) {
        Object key = key(clip);
        Optional<Hearing.Heard> recalled = recall(key);
        if (recalled.isPresent()) return recalled.get();
        Hearing.Heard fresh = hear.get();
        remember(key, fresh);
        return fresh;
    }

    private Optional<Hearing.Heard> recall(Object key) {
        Kept k;
        synchronized (this) {
            k = kept.get(key);
            if (k == null) misses++;
            else hits++;
        }
        if (k == null) return Optional.empty();
        return Optional.of(switch (k) {
            case Ids i -> new Hearing.Tokens(i.ids().clone());
            case Values v -> new Hearing.Embeddings(Torch.fromBytes(ByteBuffer.wrap(v.bytes()), v.dtype(), v.shape()));
        });
    }

    /** Keeps a copy of what the clip was heard as (the caller still owns {@code heard}'s tensor). */
    private void remember(Object key, Hearing.Heard heard) {
        Kept k = switch (heard) {
            case Hearing.Tokens t -> new Ids(t.ids().clone());
            case Hearing.Embeddings e -> {
                ByteBuffer direct = Torch.toBytes(e.embeddings());
                byte[] bytes = new byte[direct.remaining()];
                direct.get(bytes);
                yield new Values(bytes, Torch.dtype(e.embeddings().scalar_type()), Torch.shape(e.embeddings()));
            }
        };
        synchronized (this) {
            Kept old = kept.put(key, k);
            bytes += size(k) - (old == null ? 0 : size(old));
            for (var it = kept.entrySet().iterator(); bytes > maxBytes && kept.size() > 1; ) {
                var eldest = it.next();
                if (eldest.getKey().equals(key)) continue;
                bytes -= size(eldest.getValue());
                it.remove();
            }
        }
    }

    private static long size(Kept k) {
        return switch (k) {
            case Ids i -> 4L * i.ids().length;
            case Values v -> v.bytes().length;
        };
    }

    /** Whether the clip was heard here. */
    public boolean contains(Turn.Speech clip) {
        Object key = key(clip);
        synchronized (this) { return kept.containsKey(key); }
    }

    /**
     * The clip's transcript, as {@code auris transcribe} prints it, when the clip was heard here as that transcript
     * (the joint decoder's answer to the transcription instruction, {@link Hearing.Transcript}); else empty.
     */
    public Optional<String> transcript(Turn.Speech clip) {
        if (!(hearing instanceof Hearing.Transcript) || !model.hasTranscriptionInstruction()) return Optional.empty();
        Object key = key(clip);
        Kept k;
        synchronized (this) { k = kept.get(key); }
        return k instanceof Ids i ? Optional.of(model.text().tokenizer().decode(i.ids()).strip()) : Optional.empty();
    }

    /** Forgets every clip but {@code live} (the ones still in the conversation). */
    public void retain(Collection<Turn.Speech> live) {
        Set<Object> keep = new HashSet<>();
        for (Turn.Speech c : live) keep.add(key(c));
        synchronized (this) {
            for (var it = kept.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (keep.contains(e.getKey())) continue;
                bytes -= size(e.getValue());
                it.remove();
            }
        }
    }

    /** Clips kept now. */
    public synchronized int size() { return kept.size(); }

    /** Bytes kept now: 4 a token id, or the embeddings' own. */
    public synchronized long bytes() { return bytes; }

    /** Recalls that found the clip heard, and that did not (a session then heard it itself). */
    public synchronized int[] hitsAndMisses() { return new int[]{hits, misses}; }
}
