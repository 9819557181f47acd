package dev.auris.sample;

import dev.auris.core.Torch;
import dev.auris.llm.DecodeBatch;
import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers decoded together in a running batch: each joins with its prompt prefilled in its own session and
 * its own {@link Decoding} (sampler, stops, streamed text), at whatever position its prompt ended; every
 * {@link #step} samples each answer's next token and feeds them all in one batched forward
 * ({@link DecodeBatch}); an answer that ends leaves at once and the others go on. Greedy answers are the
 * tokens {@link Generator} gives alone. Not thread-safe: one decode loop owns it; each step runs in its own
 * pointer scope.
 *
 * <p>Shapes: n answers in the batch, D hidden, V vocabulary.
 */
public final class ContinuousBatch implements AutoCloseable {
    /** One answer in the batch. */
    public static final class Member {
        private final DecodeBatch.Row row;
        private final Decoding decoding;
        private final boolean keep;
        private float[] logits; // [V] of the position last fed
        private RuntimeException failure;

        private Member(DecodeBatch.Row row, Decoding decoding, boolean keep, float[] logits) {
            this.row = row;
            this.decoding = decoding;
            this.keep = keep;
            this.logits = logits;
        }

        public Decoding decoding() { return decoding; }

        public Session session() { return row.session(); }

        /** Why the answer ended early: its own sampling or listener failed (the others went on); null otherwise. */
        public RuntimeException failure() { return failure; }
    }

    private final Llm llm;
    private final DecodeBatch batch;
    private final List<Member> members = new ArrayList<>();

    public ContinuousBatch(Llm llm) {
        this.llm = llm;
        this.batch = new DecodeBatch(llm);
    }

    public int size() { return members.size(); }

    /**
     * Adds an answer: {@code session} holds its prompt, {@code logits} [V] are its last position's. With
     * {@code keep}, the session receives the answer's positions when it ends (a conversation goes on);
     * otherwise the session is left as it was (it is about to close).
     */
    public Member join(Session session, Tensor logits, Decoding decoding, boolean keep) {
        Member m = new Member(batch.join(session), decoding, keep, Torch.toFloats(logits));
        members.add(m);
        return m;
    }

    /** Takes an answer out before it ends (cancelled): its session gets nothing back. */
    public void remove(Member m) {
        if (members.remove(m)) batch.leave(m.row, false);
    }

    /**
     * One token for every answer: each samples from its logits; those that ended leave and are returned (their
     * {@link Decoding#result} is ready, or their {@link Member#failure}); the rest are fed in one forward and get
     * their next logits.
     */
    public List<Member> step() {
        int max = llm.config().maxPositionEmbeddings();
        List<Member> ended = new ArrayList<>();
        int[] next = new int[members.size()];
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            try {
                next[i] = m.decoding.next(m.logits, m.row.position(), max);
            } catch (RuntimeException e) { // this answer's listener (a speech stream, a sink) failed: it ends, the batch goes on
                m.failure = e;
                next[i] = -1;
            }
            if (next[i] < 0) ended.add(m);
        }
        List<Member> going = new ArrayList<>();
        int[] byRow = new int[members.size() - ended.size()];
        for (int i = 0; i < members.size(); i++) if (next[i] >= 0) going.add(members.get(i));
        for (Member m : ended) {
            members.remove(m);
            batch.leave(m.row, m.keep && m.failure == null);
        }
        if (going.isEmpty()) return ended;
        for (int i = 0, j = 0; i < next.length; i++) if (next[i] >= 0) byRow[going.get(j++).row.index()] = next[i];
        try (PointerScope scope = new PointerScope()) {
            Tensor h = batch.step(byRow);                                    // [n, D]
            float[] logits = Torch.toFloats(llm.logits(h));                  // [n, V]
            int v = llm.config().vocabSize();
            for (Member m : going) m.logits = java.util.Arrays.copyOfRange(logits, m.row.index() * v, (m.row.index() + 1) * v);
        }
        return ended;
    }

    /** Removes every answer (nothing copied back) and frees the batch's cache. */
    @Override
    public void close() {
        members.clear();
        batch.close();
    }
}
