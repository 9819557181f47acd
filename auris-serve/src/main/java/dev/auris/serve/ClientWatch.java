package dev.auris.serve;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.util.concurrent.CancellationException;

/**
 * Notices a client that closes its connection while its answer is computed, streamed or not. Jetty reads
 * nothing from an HTTP/1.1 connection while a handler runs, so a client that left would go unnoticed until
 * the answer is written (a whole answer later); the watch asks the connection's endpoint to report
 * readability, and a read that finds the end of the stream runs {@code onGone} at once (the request's token is
 * cancelled: its answer leaves the batch and its session closes). The watch ends before the response is
 * written, so the connection's next request is Jetty's to read again. A client that pipelines its next
 * request meanwhile (rare) loses the connection after this answer, since the watch read a byte of it.
 */
final class ClientWatch implements AutoCloseable {
    private final Context ctx;
    private final EndPoint endPoint;
    private final Runnable onGone;
    private volatile boolean closed, gone, readAhead;

    private ClientWatch(Context ctx, EndPoint endPoint, Runnable onGone) {
        this.ctx = ctx;
        this.endPoint = endPoint;
        this.onGone = onGone;
    }

    static ClientWatch start(Context ctx, Runnable onGone) {
        EndPoint ep = null;
        try {
            ServletContextRequest r = ServletContextRequest.getServletContextRequest(ctx.req());
            if (r != null) ep = r.getConnectionMetaData().getConnection().getEndPoint();
        } catch (RuntimeException e) {
            // not Jetty's HTTP/1.1 servlet request: no watch, a failed write still ends a stream
        }
        ClientWatch w = new ClientWatch(ctx, ep, onGone);
        w.arm();
        return w;
    }

    boolean gone() { return gone; }

    private void arm() {
        if (endPoint == null || closed) return;
        endPoint.tryFillInterested(Callback.from(this::readable, failure -> {}));
    }

    private void readable() {
        if (closed) return;
        int n;
        try {
            n = endPoint.fill(BufferUtil.allocate(1));
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            gone = true;
            onGone.run();
        } else if (n == 0) {
            arm();
        } else {
            readAhead = true; // a pipelined request began: stop watching, and close after this answer
        }
    }

    /** Stops watching (before the response is written). */
    @Override
    public void close() {
        closed = true;
        if (endPoint instanceof AbstractEndPoint a && a.isFillInterested()) a.getFillInterest().onFail(new CancellationException("answered"));
        if (readAhead && !ctx.res().isCommitted()) ctx.header("Connection", "close");
    }
}
