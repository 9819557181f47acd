package dev.auris.serve;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events on a POST response, as OpenAI streams: {@code data: JSON} blocks, then {@code data: [DONE]}.
 * Written straight to the servlet stream and flushed per event; a failed write means the client left, and
 * becomes {@link ClientGone} so the answer stops and its session is freed.
 */
final class Sse {
    private final OutputStream out;

    Sse(Context ctx) {
        ctx.status(200);
        ctx.contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Accel-Buffering", "no"); // proxies (nginx) must not hold the stream back
        try {
            this.out = ctx.res().getOutputStream();
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    void data(Object event) { write("data: " + Json.write(event) + "\n\n"); }

    void done() { write("data: [DONE]\n\n"); }

    private void write(String s) {
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }
}
