package dev.auris.io;

/**
 * A checkpoint could not be read or does not fit the model: says which file, which tensor, what is
 * wrong and how to fix it.
 */
public final class CheckpointException extends RuntimeException {
    public CheckpointException(String file, String tensor, String problem, String fix) {
        super(format(file, tensor, problem, fix));
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }

    public CheckpointException(String message) {
        super(message);
    }

    private static String format(String file, String tensor, String problem, String fix) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "checkpoint" : file);
        if (tensor != null) sb.append(": tensor '").append(tensor).append('\'');
        sb.append(": ").append(problem);
        if (fix != null && !fix.isEmpty()) sb.append(". Fix: ").append(fix);
        return sb.toString();
    }
}
