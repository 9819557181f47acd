package dev.auris.serve;

import dev.auris.pipeline.SpeechLlm;
import io.javalin.http.Context;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /v1/realtime}: live voice over a WebSocket with OpenAI Realtime's event names (the subset in
 * {@link RealtimeConnection}). Browsers cannot set an Authorization header on a WebSocket, so with an API key
 * the key may also come as {@code ?api_key=KEY}.
 */
final class Realtime {
    private final SpeechLlm model;
    private final String modelId;
    private final ServeConfig config;
    private final InferencePool pool;
    private final BatchLoop batch;
    private final Auth auth;
    private final Map<String, RealtimeConnection> connections = new ConcurrentHashMap<>();

    Realtime(SpeechLlm model, String modelId, ServeConfig config, InferencePool pool, BatchLoop batch, Auth auth) {
        this.batch = batch;
        this.model = model;
        this.modelId = modelId;
        this.config = config;
        this.pool = pool;
        this.auth = auth;
    }

    void beforeUpgrade(Context ctx) {
        String header = ctx.header("Authorization");
        auth.check(header != null ? header : ctx.queryParam("api_key"));
        // each open conversation keeps its turns' audio: as many as could be decoding or queued at once
        int limit = config.maxSessions() + config.maxQueue();
        if (connections.size() >= limit) throw ApiError.busy(pool.retryAfterSeconds(), pool.active(), pool.queued());
        String requested = ctx.queryParam("model");
        if (requested != null) Models.check(requested, modelId);
    }

    void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(10));
            var c = new RealtimeConnection(model, modelId, config, pool, batch, json -> send(ctx, json));
            connections.put(ctx.sessionId(), c);
            c.opened();
        });
        ws.onMessage(ctx -> {
            RealtimeConnection c = connections.get(ctx.sessionId());
            if (c != null) c.onMessage(ctx.message());
        });
        ws.onBinaryMessage(ctx -> send(ctx, Json.write(RealtimeEvent.error("invalid_event", "send events as JSON text frames (audio base64 in input_audio_buffer.append)", null))));
        ws.onClose(ctx -> {
            RealtimeConnection c = connections.remove(ctx.sessionId());
            if (c != null) c.closed();
        });
        ws.onError(ctx -> {
            RealtimeConnection c = connections.remove(ctx.sessionId());
            if (c != null) c.closed();
        });
    }

    int open() { return connections.size(); }

    /** One frame at a time per socket: answers stream from an inference thread while the socket thread replies to events. */
    private static void send(WsContext ctx, String json) {
        synchronized (ctx.session) {
            if (!ctx.session.isOpen()) throw new ClientGone(null);
            ctx.send(json);
        }
    }
}
