package dev.auris.serve;

import java.time.Duration;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The bounded place where inference runs: {@code maxSessions} platform threads, each decoding one request's
 * SpeechSession at a time, and a queue of {@code maxQueue} waiting requests; beyond that a request is refused
 * at once with 429 and a Retry-After estimated from recent request times.
 *
 * <p>Inference runs on these platform threads, never on the HTTP server's virtual threads: libtorch keeps
 * grad mode and its PointerScopes per OS thread, and a virtual thread that blocks on a socket write may
 * resume on another carrier mid-answer.
 */
final class InferencePool implements AutoCloseable {
    /** Thrown inside the work when the request was cancelled (client gone, time limit): ends the answer early. */
    static final class Cancelled extends RuntimeException {
        Cancelled(String why) { super(why, null, false, false); }
    }

    /** Handed to the work: it calls {@link #check()} between tokens. */
    static final class Token {
        private static final int QUEUED = 0, RUNNING = 1, CANCELLED = 2;
        private final AtomicInteger state = new AtomicInteger(QUEUED);
        private volatile String cancelled;

        void check() {
            String why = cancelled;
            if (why != null) throw new Cancelled(why);
        }

        void cancel(String why) { cancelled = why; }

        boolean isCancelled() { return cancelled != null; }
    }

    private final ThreadPoolExecutor pool;
    private final int maxSessions;
    private volatile double meanSeconds = 2; // moving mean of request times, for Retry-After

    InferencePool(int maxSessions, int maxQueue) {
        this.maxSessions = maxSessions;
        ThreadFactory threads = Thread.ofPlatform().name("auris-infer-", 1).daemon(true).factory();
        BlockingQueue<Runnable> queue = maxQueue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(maxQueue);
        this.pool = new ThreadPoolExecutor(maxSessions, maxSessions, 0, TimeUnit.SECONDS, queue, threads, new ThreadPoolExecutor.AbortPolicy());
    }

    int active() { return pool.getActiveCount(); }

    int queued() { return pool.getQueue().size(); }

    /**
     * Runs {@code work} on an inference thread and waits for it at most {@code limit} (queue wait included).
     * 429 when the queue is full; 504 when the limit passes (the work is cancelled at its next check and this
     * returns once it has let go of its session); the work's own ApiError or Cancelled as thrown; any other
     * failure becomes a 500 with its message only.
     */
    <T> T call(Duration limit, Token token, Function<Token, T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable task = () -> {
            if (!token.state.compareAndSet(Token.QUEUED, Token.RUNNING)) return; // cancelled while queued
            long t0 = System.nanoTime();
            try {
                token.check();
                result.complete(work.apply(token));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            } finally {
                meanSeconds = 0.8 * meanSeconds + 0.2 * (System.nanoTime() - t0) / 1e9;
            }
        };
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            throw ApiError.busy(retryAfterSeconds(), active(), queued());
        }
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            while (true) {
                try {
                    return result.get(Math.max(1, Math.min(50_000_000L, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (System.nanoTime() >= deadline) {
                        token.cancel("time limit");
                        if (!dequeue(token, task)) awaitQuietly(result); // running: it stops at its next token and closes its session
                        throw ApiError.timeout(limit.toSeconds());
                    }
                    // cancelled while waiting for a thread (the client left): give the place in the queue up now
                    if (token.isCancelled() && dequeue(token, task)) throw new Cancelled(token.cancelled);
                } catch (InterruptedException e) {
                    token.cancel("interrupted");
                    dequeue(token, task);
                    Thread.currentThread().interrupt();
                    throw new Cancelled("interrupted");
                }
            }
        } catch (ExecutionException e) {
            throw translate(e.getCause());
        }
    }

    /**
     * Runs {@code work} on an inference thread if one is idle now, else not at all: work that only saves a later
     * request time (hearing ahead) never waits in the queue or takes a request's place there. Its failure is
     * dropped (the request it was for does the work again and reports it). False when it was not started.
     */
    boolean offer(Runnable work) {
        if (pool.getActiveCount() + pool.getQueue().size() >= maxSessions) return false; // a request may still win the race: it then queues behind this
        try {
            pool.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException dropped) {
                    // ahead-of-time work only: the request hears the clip itself and says what is wrong
                }
            });
            return true;
        } catch (RejectedExecutionException full) {
            return false;
        }
    }

    /** Takes a request that has not started out of the queue; false when it is already running (or done). */
    private boolean dequeue(Token token, Runnable task) {
        if (!token.state.compareAndSet(Token.QUEUED, Token.CANCELLED)) return false;
        pool.remove(task);
        return true;
    }

    private static RuntimeException translate(Throwable t) {
        return switch (t) {
            case ApiError a -> a;
            case Cancelled c -> c;
            case ClientGone g -> g;
            // the model refuses input it cannot take (too long for the context, ...): the client's to fix
            case IllegalArgumentException i -> ApiError.invalid(i.getMessage(), null, "invalid_request");
            default -> ApiError.internal("inference failed: " + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()));
        };
    }

    private static void awaitQuietly(CompletableFuture<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException ignored) {
            // the cancellation itself
        }
    }

    int retryAfterSeconds() {
        return (int) Math.max(1, Math.ceil(meanSeconds * (queued() + 1) / maxSessions));
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
