package dev.auris.serve;

import dev.auris.pipeline.SpeechLlm;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;


/**
 * The Auris server: OpenAI's chat completions (text and {@code input_audio}, streamed as server-sent events),
 * transcriptions and models endpoints over one shared, immutable {@link SpeechLlm}; one SpeechSession per
 * request, on a bounded {@link InferencePool}. Run it with {@code ./auris serve [--model DIR] [--port 8080]}.
 *
 * <p>On Javalin 7 (Jetty 12): a thin, actively released layer over Jetty with WebSocket and server-sent events
 * built in, handlers as plain lambdas, virtual threads for request handling; Jetty 12's servlet stream lets a
 * POST answer as an event stream, which OpenAI's {@code stream: true} needs (Javalin's own SSE route is GET).
 * Helidon SE 4 would serve as well; Javalin's smaller API made the OpenAI surface quicker to get exactly right.
 */
public final class Server implements AutoCloseable {
    private final Javalin app;
    private final InferencePool pool;
    private final BatchLoop batch;
    private final ChatCompletions chat;

    private Server(Javalin app, InferencePool pool, BatchLoop batch, ChatCompletions chat) {
        this.app = app;
        this.pool = pool;
        this.batch = batch;
        this.chat = chat;
    }

    /** Starts serving {@code model} under the name {@code modelId} (what clients put in "model"). */
    public static Server start(SpeechLlm model, String modelId, ServeConfig config) {
        InferencePool pool = new InferencePool(config.maxSessions(), config.maxQueue());
        BatchLoop batch = new BatchLoop(model.llm());
        Auth auth = new Auth(config.apiKey());
        long created = System.currentTimeMillis() / 1000;
        var chat = new ChatCompletions(model, modelId, config, pool, batch);
        var transcriptions = new Transcriptions(model, modelId, config, pool);
        var realtime = new Realtime(model, modelId, config, pool, batch, auth);
        Javalin app = Javalin.create(c -> {
            configure(c, config);
            c.routes.before("/v1/*", ctx -> {
                if (!ctx.path().equals("/v1/realtime")) auth.check(ctx.header("Authorization"));
            });
            c.routes.get("/v1/models", ctx -> ctx.contentType("application/json").result(Json.write(Models.list(modelId, created))));
            c.routes.post("/v1/chat/completions", chat::handle);
            c.routes.post("/v1/audio/transcriptions", transcriptions::handle);
            c.routes.wsBeforeUpgrade("/v1/realtime", realtime::beforeUpgrade);
            c.routes.ws("/v1/realtime", realtime::configure);
            errors(c);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            pool.close();
            batch.close();
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + " (is another server on that port? try --port)", e);
        }
        return new Server(app, pool, batch, chat);
    }

    /** Every failure as an OpenAI error body: ours as thrown, Javalin's and Jetty's mapped, the rest a 500 without a trace. */
    static void errors(JavalinConfig c) {
        c.routes.exception(ApiError.class, Server::respond);
        c.routes.exception(HttpResponseException.class, (e, ctx) -> respond(mapJavalin(e), ctx));
        c.routes.exception(Exception.class, (e, ctx) -> respond(mapOther(e, ctx), ctx));
        c.routes.error(404, ctx -> {
            if (ctx.attribute(ERROR_SENT) == null) respond(ApiError.notFound("no such endpoint: " + ctx.method() + " " + ctx.path(), null, "unknown_url"), ctx);
        });
        c.routes.error(405, ctx -> respond(ApiError.status(405, "method " + ctx.method() + " is not allowed on " + ctx.path()), ctx));
    }

    /** Jetty's limits (body, multipart), virtual request threads, the talk page. */
    static void configure(JavalinConfig c, ServeConfig config) {
        c.jetty.host = config.host();
        c.jetty.port = config.port();
        c.http.maxRequestSize = config.maxBodyBytes();
        c.jetty.multipartConfig.maxFileSize(config.maxBodyBytes(), SizeUnit.BYTES);
        c.jetty.multipartConfig.maxTotalRequestSize(config.maxBodyBytes(), SizeUnit.BYTES);
        c.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
        c.concurrency.useVirtualThreads = true; // request threads only wait: inference runs on InferencePool's platform threads
        c.startup.showJavalinBanner = false;
        c.startup.showOldJavalinVersionWarning = false;
        c.staticFiles.add(s -> {
            s.hostedPath = "/";
            s.directory = "/dev/auris/serve/web";
            s.location = Location.CLASSPATH;
        });
    }

    private static final String ERROR_SENT = "auris.error";

    static void respond(ApiError e, Context ctx) {
        ctx.attribute(ERROR_SENT, Boolean.TRUE);
        ctx.status(e.status());
        if (e.retryAfterSeconds() != null) ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        ctx.contentType("application/json").result(Json.write(e.body()));
    }

    private static ApiError mapJavalin(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 413 -> ApiError.tooLarge(ServeConfig.OPENAI_BODY_LIMIT);
            case 404 -> ApiError.notFound(e.getMessage() + ": the API is under /v1 (chat/completions, audio/transcriptions, models, realtime)", null, "unknown_url");
            default -> ApiError.status(e.getStatus(), e.getMessage());
        };
    }

    /** What Jetty or a decoder throws past our checks: malformed multipart is the client's; the rest is ours, without a trace. */
    private static ApiError mapOther(Exception e, Context ctx) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String rootMsg = root.getMessage() == null ? msg : root.getMessage();
        if (rootMsg.contains("exceeds") || rootMsg.contains("too large") || rootMsg.contains("max size")) return ApiError.tooLarge(ServeConfig.OPENAI_BODY_LIMIT);
        // Jetty's own verdict on the request (its multipart parser throws a 400 BadMessageException, wrapped in a
        // ServletException, for a part without a valid Content-Disposition): the client's, never a 500
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.eclipse.jetty.http.HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
                if (h.getCode() == 413) return ApiError.tooLarge(ServeConfig.OPENAI_BODY_LIMIT);
                ctx.header("Connection", "close"); // the body was not read to its end
                String what = ctx.path().startsWith("/v1/audio") ? "the multipart body cannot be read: " : "the request cannot be read: ";
                return ApiError.invalid(what + (h.getReason() != null ? h.getReason() : t.getMessage()), ctx.path().startsWith("/v1/audio") ? "file" : null, "invalid_multipart");
            }
        }
        if (ctx.path().startsWith("/v1/audio") && (e instanceof IllegalStateException || root instanceof java.io.IOException || rootMsg.toLowerCase().contains("multipart"))) {
            // Jetty drops the connection after a body its multipart parser gave up on; saying so keeps a client from
            // sending its next request down it (found by TranscriptionUploadFuzzTest: an empty body, then any upload)
            ctx.header("Connection", "close");
            return ApiError.invalid("the multipart body cannot be read: " + rootMsg, "file", "invalid_multipart");
        }
        System.err.println("auris serve: " + ctx.method() + " " + ctx.path() + ": " + e);
        if (System.getenv("AURIS_DEBUG") != null) e.printStackTrace();
        return ApiError.internal("internal error: " + msg);
    }

    public int port() { return app.port(); }

    /** Requests decoding now and waiting for a session (for tests and monitoring). */
    int activeSessions() { return pool.active(); }

    /** Streamed answers cut short because their client left. */
    long disconnects() { return chat.disconnects(); }

    /** What the chat completions' clips were heard as (null when the server keeps nothing). */
    dev.auris.pipeline.HeardClips heard() { return chat.heard(); }

    InferencePool pool() { return pool; }

    /** Answers in the shared decode batch now. */
    int decoding() { return batch.size(); }

    /** Stops listening, then the inference threads (answers in flight end with the process). */
    @Override
    public void close() {
        app.stop();
        pool.close();
        batch.close();
    }

}
