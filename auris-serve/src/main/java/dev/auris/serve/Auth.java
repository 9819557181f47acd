package dev.auris.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The Bearer API key check: constant-time, so the time a wrong key takes tells nothing about the right one. */
final class Auth {
    private final byte[] key; // null: no key needed

    Auth(String key) {
        this.key = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    }

    /** Checks an Authorization header value (or, for browsers' WebSockets, a key given another way). */
    void check(String authorization) {
        if (key == null) return;
        if (authorization == null || authorization.isBlank()) {
            throw ApiError.unauthorized("You didn't provide an API key: send the header 'Authorization: Bearer KEY' (the key given to auris serve --api-key)");
        }
        String given = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : authorization.trim();
        if (!MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
            throw ApiError.unauthorized("Incorrect API key provided: use the key given to auris serve --api-key");
        }
    }

    boolean required() { return key != null; }
}
