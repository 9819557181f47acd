package dev.auris.serve;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;

/** Request bodies read with a hard limit, whether or not the client declared a Content-Length. */
final class Bodies {
    private Bodies() {}

    /** 413 before reading when the declared length is over the limit; 413 too when more bytes arrive than allowed. */
    static void checkDeclared(Context ctx, long limit) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) throw ApiError.tooLarge(limit);
    }

    static byte[] read(Context ctx, long limit) {
        checkDeclared(ctx, limit);
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (b.length > limit) throw ApiError.tooLarge(limit);
            return b;
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }
}
