package dev.auris.nn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits the rows of a weight matrix over the cores for one matrix × few-vectors product, with the latency a
 * decode step needs: a step makes ≈ 7 such products a layer, each 0.05–4 ms, so the handoff must cost
 * microseconds, not an executor's wake-up (measured: a thread pool's handoff took a quarter of a 0.5 ms product
 * at 2 threads). Workers spin for {@link #SPIN_NANOS} after each product, then park; the calling thread does the
 * first share. One caller at a time owns the workers; a concurrent caller (another request in the server) runs
 * its product on its own thread rather than wait.
 */
final class RowSplit {
    /** The work for rows [r0, r1). */
    interface Rows {
        void run(int r0, int r1);
    }

    /** How long an idle worker spins before it parks: longer than the libtorch ops between two products of a step. */
    static final long SPIN_NANOS = 100_000;

    private static final ReentrantLock OWNER = new ReentrantLock();
    private static Worker[] workers = new Worker[0];

    private RowSplit() {}

    /**
     * The least work a part must have (multiply-adds, or their like) to be handed to another core: ≈ 20–50 µs. A
     * smaller product is done sooner on the calling thread than handed off, and on a busy machine a hand-off can
     * wait a whole scheduler slice for its worker (stories260K's 512 × 64 products in a hearing beam spent a third
     * of the first token's time spinning for a worker while training ran beside it).
     */
    static final long MIN_PART_WORK = 1L << 18;

    /**
     * Runs {@code body} over rows [0, n) in at most {@code threads} parts, each part's start a multiple of
     * {@code align} (so a kernel's row blocks stay whole) and each part at least {@link #MIN_PART_WORK} of work, a
     * row being {@code rowWork}; returns when every part has run, rethrowing the first failure. The work decides, not
     * a row count: a fixed minimum of 64 rows a part kept attention's 8–32 heads (each a whole row of work) on one
     * core, so the fused bf16 attention of a Whisper encoder and a decode step's heads over long contexts never split.
     */
    static void run(int n, long rowWork, int threads, int align, Rows body) {
        long byWork = Math.max(1, rowWork) * n / MIN_PART_WORK;
        int parts = (int) Math.max(1, Math.min(Math.min(threads, n / Math.max(1, align)), byWork));
        if (parts == 1 || !OWNER.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            Worker[] ws = workers(parts - 1);
            Task task = new Task(body, n, parts, align, new AtomicInteger(parts - 1));
            for (Worker w : ws) w.start(task);
            RuntimeException mine = null;
            try {
                task.part(0);
            } catch (RuntimeException e) {
                mine = e;
            }
            while (task.pending.get() > 0) Thread.onSpinWait();
            RuntimeException first = mine != null ? mine : task.failure;
            if (first != null) throw first;
        } finally {
            OWNER.unlock();
        }
    }

    private static Worker[] workers(int count) {
        if (workers.length != count) {
            for (Worker w : workers) w.stop();
            Worker[] ws = new Worker[count];
            for (int i = 0; i < count; i++) ws[i] = new Worker(i + 1);
            workers = ws;
        }
        return workers;
    }

    private static final class Task {
        final Rows body;
        final int n, parts, align;
        final AtomicInteger pending;
        volatile RuntimeException failure;

        Task(Rows body, int n, int parts, int align, AtomicInteger pending) {
            this.body = body;
            this.n = n;
            this.parts = parts;
            this.align = align;
            this.pending = pending;
        }

        void part(int p) {
            int r0 = bound(p), r1 = bound(p + 1);
            if (r0 < r1) body.run(r0, r1);
        }

        private int bound(int p) {
            if (p >= parts) return n;
            long r = (long) n * p / parts;
            return (int) Math.min(n, r / align * align);
        }
    }

    private static final class Worker implements Runnable {
        private final int index;
        private final Thread thread;
        private volatile Task task;
        private volatile boolean running = true;

        Worker(int index) {
            this.index = index;
            this.thread = new Thread(this, "auris-gemv-" + index);
            thread.setDaemon(true);
            thread.start();
        }

        void start(Task t) {
            task = t;
            LockSupport.unpark(thread);
        }

        void stop() {
            running = false;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (running) {
                Task t = task;
                if (t == null) {
                    idle();
                    continue;
                }
                task = null;
                try {
                    t.part(index);
                } catch (RuntimeException e) {
                    t.failure = e;
                } finally {
                    t.pending.decrementAndGet();
                }
            }
        }

        /** Spins for {@link #SPIN_NANOS} waiting for the next task, then parks until {@link #start} unparks it. */
        private void idle() {
            long t0 = System.nanoTime();
            while (task == null && running) {
                if (System.nanoTime() - t0 < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        }
    }
}
