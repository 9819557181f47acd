package dev.auris.serve;

/** The client closed the connection while its answer streamed: the work ends and frees its session. */
final class ClientGone extends RuntimeException {
    ClientGone(Throwable cause) { super("client disconnected", cause, false, false); }
}
