package dev.auris.serve;

import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import dev.auris.pipeline.Event;
import dev.auris.sample.ContinuousBatch;
import dev.auris.sample.DecodeLoop;
import dev.auris.sample.Decoding;
import dev.auris.sample.Generator;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one decode thread of the server: every answer in flight, whichever request it belongs to, gets its next
 * token from the same batched forward ({@link ContinuousBatch}) — sessions decode together rather than one
 * after another. A request's inference thread hears the clips and prefills the prompt (as before), then
 * hands its session here through an {@link Answer} and waits. A spoken answer's speech decoder and vocoder run
 * here too, on its row's hidden state after each step.
 *
 * <p>The decode thread never touches a socket: an answer's events are queued to its own inference thread,
 * which writes them (a slow or vanished client stalls only itself) and checks the request's cancellation
 * between them. A cancelled answer leaves the batch before its inference thread closes the session.
 */
final class BatchLoop implements AutoCloseable {
    private sealed interface Op permits Join, Remove {}

    private record Join(Answer a, Session session, Tensor logits, Decoding decoding) implements Op {}

    private record Remove(Answer a) implements Op {}

    private static final Runnable FINISHED = () -> {};
    /** {@code -Dauris.serve.batch=false}: every answer decodes alone on its inference thread (the baseline LoadBench compares with). */
    private static final boolean BATCHED = !"false".equals(System.getProperty("auris.serve.batch"));
    private static final Op STOP = new Remove(null);

    private final Llm llm;
    private final BlockingQueue<Op> inbox = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile int size;
    private volatile boolean closed;

    BatchLoop(Llm llm) {
        this.llm = llm;
        this.thread = Thread.ofPlatform().name("auris-decode").daemon(true).start(this::loop);
    }

    /** Answers decoding now. */
    int size() { return size; }

    /** One answer's way through the loop: its events, its cancellation, its end. */
    final class Answer implements DecodeLoop {
        private final InferencePool.Token token;
        private final BlockingQueue<Runnable> mailbox = new LinkedBlockingQueue<>();
        private final CompletableFuture<Void> left = new CompletableFuture<>();
        private ContinuousBatch.Member member; // the decode thread's
        private volatile Generator.Result result;

        Answer(InferencePool.Token token) { this.token = token; }

        /** The sink the session emits into: on the decode thread, queued for this answer's own thread; elsewhere direct. */
        Consumer<Event> sink(Consumer<Event> onThisThread) {
            return e -> {
                if (Thread.currentThread() == thread) mailbox.add(() -> onThisThread.accept(e));
                else onThisThread.accept(e);
            };
        }

        @Override
        public Generator.Result run(Session session, Tensor logits, Decoding decoding) {
            if (!BATCHED) return DecodeLoop.ALONE.run(session, logits, decoding);
            if (closed) throw ApiError.status(503, "the server is shutting down");
            inbox.add(new Join(this, session, logits, decoding));
            try {
                while (true) {
                    Runnable r = mailbox.poll(20, TimeUnit.MILLISECONDS);
                    if (r == FINISHED) return result;
                    if (r != null) r.run();  // the events' writes; ClientGone / Cancelled end the answer
                    token.check();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                leave();
                throw new InferencePool.Cancelled("interrupted");
            } catch (RuntimeException e) {
                leave();
                throw e;
            }
        }

        /** Out of the batch (if still in it) before the session may close. */
        private void leave() {
            inbox.add(new Remove(this));
            try {
                left.get(30, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the loop is gone or stuck: the session's own cache is still the caller's to close
            }
        }
    }

    private void loop() {
        Map<ContinuousBatch.Member, Answer> answers = new HashMap<>();
        ContinuousBatch batch = new ContinuousBatch(llm);
        try (NoGradGuard guard = new NoGradGuard()) {
            while (!closed) {
                Op op = batch.size() == 0 ? inbox.take() : inbox.poll();
                for (; op != null; op = inbox.poll()) {
                    if (op == STOP) return;
                    switch (op) {
                        case Join j -> {
                            try (PointerScope scope = new PointerScope()) { // the copies made while joining
                                j.a().member = batch.join(j.session(), j.logits(), j.decoding(), true);
                                answers.put(j.a().member, j.a());
                            } catch (RuntimeException e) {
                                j.a().mailbox.add(() -> { throw e; });
                            }
                        }
                        case Remove r -> {
                            if (r.a().member != null && answers.remove(r.a().member) != null) batch.remove(r.a().member);
                            r.a().left.complete(null);
                        }
                    }
                }
                size = batch.size();
                if (batch.size() == 0) continue;
                try {
                    for (ContinuousBatch.Member m : batch.step()) {
                        Answer a = answers.remove(m);
                        a.result = m.decoding().result();
                        a.left.complete(null);
                        RuntimeException failed = m.failure(); // its own speech stream failed: only this answer ends with an error
                        a.mailbox.add(failed == null ? FINISHED : () -> { throw failed; });
                    }
                } catch (RuntimeException e) { // the forward failed: every answer in it fails, the loop goes on with a fresh batch
                    for (Answer a : answers.values()) {
                        a.left.complete(null);
                        a.mailbox.add(() -> { throw e; });
                    }
                    answers.clear();
                    batch.close();
                    batch = new ContinuousBatch(llm);
                }
                size = batch.size();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally { // shutting down: whoever waits is told, nobody waits for a batch that is gone
            closed = true;
            RuntimeException gone = ApiError.status(503, "the server is shutting down");
            answers.values().forEach(a -> a.mailbox.add(() -> { throw gone; }));
            for (Op op; (op = inbox.poll()) != null; ) {
                if (op instanceof Join j) j.a().mailbox.add(() -> { throw gone; });
                if (op instanceof Remove r && r.a() != null) r.a().left.complete(null);
            }
            answers.values().forEach(a -> a.left.complete(null));
            batch.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        inbox.add(STOP);
    }
}
