package dev.auris.sample;

import dev.auris.core.Torch;
import dev.auris.llm.Session;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Who runs an answer's steps: the session alone ({@link #ALONE}, what {@link Generator} does), or a shared
 * decode loop that feeds it in a {@link ContinuousBatch} with other sessions' answers (a server). Either way
 * the {@link Decoding} decides the tokens, so the answer is the same.
 */
@FunctionalInterface
public interface DecodeLoop {
    /**
     * Decodes until {@code decoding} ends, from {@code logits} [V] of the session's last prefilled position; the
     * session holds the answer's positions afterwards (all but the last token, as a session decoding alone).
     */
    Generator.Result run(Session session, Tensor logits, Decoding decoding);

    /** One session, one step at a time, each in its own pointer scope. */
    DecodeLoop ALONE = (session, logits, d) -> {
        int max = session.llm().config().maxPositionEmbeddings();
        float[] current = Torch.toFloats(logits);
        for (int next; (next = d.next(current, session.position(), max)) >= 0; ) {
            try (PointerScope scope = new PointerScope()) {
                current = Torch.toFloats(session.step(next));
            }
        }
        return d.result();
    };
}
