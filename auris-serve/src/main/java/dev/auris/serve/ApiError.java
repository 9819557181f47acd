package dev.auris.serve;

/**
 * An error the client gets in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, with its
 * HTTP status. Thrown anywhere in a handler; {@link Server} turns it into the response (never a stack trace).
 */
public final class ApiError extends RuntimeException {
    /** The JSON body. */
    public record Body(Detail error) {}

    /** OpenAI's error object; {@code param} and {@code code} may be null. */
    public record Detail(String message, String type, String param, String code) {}

    private final int status;
    private final Detail detail;
    private final Integer retryAfterSeconds;

    private ApiError(int status, String type, String message, String param, String code, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.detail = new Detail(message, type, param, code);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() { return status; }

    public Body body() { return new Body(detail); }

    /** Seconds for the Retry-After header, or null. */
    public Integer retryAfterSeconds() { return retryAfterSeconds; }

    public static ApiError invalid(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code, null);
    }

    public static ApiError unauthorized(String message) {
        return new ApiError(401, "invalid_request_error", message, null, "invalid_api_key", null);
    }

    public static ApiError notFound(String message, String param, String code) {
        return new ApiError(404, "invalid_request_error", message, param, code, null);
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request body is larger than the " + (limit >> 20) + " MB limit: send shorter audio",
                null, "request_too_large", null);
    }

    public static ApiError busy(int retryAfterSeconds, int sessions, int queued) {
        return new ApiError(429, "rate_limit_error", "the server is busy (" + sessions + " sessions decoding, " + queued
                + " requests queued): retry in " + retryAfterSeconds + " s", null, "server_busy", retryAfterSeconds);
    }

    public static ApiError timeout(long seconds) {
        return new ApiError(504, "timeout_error", "the answer took longer than the server's " + seconds + " s limit: ask for fewer tokens (max_tokens) or send shorter audio",
                null, "request_timeout", null);
    }

    public static ApiError status(int status, String message) {
        String type = status == 401 ? "invalid_request_error" : status >= 500 ? "server_error" : "invalid_request_error";
        return new ApiError(status, type, message, null, null, null);
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null, null);
    }
}
