package dev.auris.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * The llama2.c tokenizer format ({@code tok512.bin}, {@code tokenizer.bin}): {@code int max_token_length},
 * then per token {@code float score, int len, bytes}. Encoding follows llama2.c {@code run.c: encode}:
 * a dummy-prefix space, code points looked up (bytes as their {@code <0xXX>} pieces otherwise, id byte + 3 in a
 * llama2.c file that lacks them), then
 * repeatedly the highest-scoring adjacent merge. BOS = 1, EOS = 2.
 */
public final class Llama2cTokenizer implements Tokenizer {
    public static final int BOS = 1, EOS = 2;
    private final String[] pieces;
    private final byte[][] bytes;
    private final float[] scores;
    private final Map<String, Integer> ids;
    private final int bos, eos;
    private final int[] byteIds; // id of the piece <0xXX> for each byte, or unk

    private Llama2cTokenizer(String[] pieces, byte[][] bytes, float[] scores, int bos, int eos, int unk) {
        this.pieces = pieces;
        this.bytes = bytes;
        this.scores = scores;
        this.bos = bos;
        this.eos = eos;
        this.ids = new HashMap<>();
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(pieces[i], i);
        this.byteIds = new int[256];
        // a byte without its <0xXX> piece: the unknown token, else llama2.c's byte + 3 — when the vocabulary has
        // that id (a hostile or tiny tokenizer.bin may not: then such a byte cannot be encoded, -1)
        int n = pieces.length;
        for (int x = 0; x < 256; x++) byteIds[x] = ids.getOrDefault(String.format("<0x%02X>", x), unk >= 0 && unk < n ? unk : unk < 0 && x + 3 < n ? x + 3 : -1);
    }

    /**
     * A SentencePiece-style vocabulary given as pieces and merge scores, e.g. GGUF's
     * {@code tokenizer.ggml.tokens / scores} of a {@code llama} tokenizer: the word-boundary mark ▁ (U+2581)
     * is read as a space, bytes are the pieces {@code <0xXX>} (unknown bytes become {@code unk}).
     */
    public static Llama2cTokenizer of(List<String> pieces, float[] scores, int bos, int eos, int unk) {
        if (pieces.size() != scores.length) throw new IllegalArgumentException(pieces.size() + " pieces but " + scores.length + " scores");
        String[] p = new String[pieces.size()];
        byte[][] b = new byte[p.length][];
        for (int i = 0; i < p.length; i++) {
            p[i] = pieces.get(i).replace('\u2581', ' ');
            b[i] = p[i].getBytes(StandardCharsets.UTF_8);
        }
        return new Llama2cTokenizer(p, b, scores.clone(), bos, eos, unk);
    }

    /** Reads {@code vocabSize} tokens, or every token in the file when {@code vocabSize < 0}. */
    public static Llama2cTokenizer load(Path file, int vocabSize) {
        try {
            return load(Files.readAllBytes(file), file.toString(), vocabSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The tokenizer in {@code bytes} ({@code file} names it in errors). */
    public static Llama2cTokenizer load(byte[] bytes, String file, int vocabSize) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw new IllegalArgumentException(file + ": not a llama2.c tokenizer (too short)");
        b.getInt(); // max_token_length
        List<String> p = new ArrayList<>();
        List<byte[]> by = new ArrayList<>();
        List<Float> sc = new ArrayList<>();
        while (b.remaining() >= 8 && (vocabSize < 0 || p.size() < vocabSize)) {
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) throw new IllegalArgumentException(file + ": token " + p.size() + " has bad length " + len + " (file truncated?)");
            byte[] s = new byte[len];
            b.get(s);
            p.add(new String(s, StandardCharsets.UTF_8));
            by.add(s);
            sc.add(score);
        }
        if (vocabSize >= 0 && p.size() < vocabSize) throw new IllegalArgumentException(file + ": has " + p.size() + " tokens, the model needs " + vocabSize);
        float[] scores = new float[sc.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = sc.get(i);
        return new Llama2cTokenizer(p.toArray(String[]::new), by.toArray(byte[][]::new), scores, BOS, EOS, -1);
    }

    /**
     * llama2.c's encoder puts a dummy-prefix space before the text, so a continuation decoded as
     * " She was" would come back as [" ", " She", ...] — a lone-space token the model never generates
     * there. The continuation's own leading space is the dummy prefix: [" She", ...].
     */
    @Override
    public int[] encodeContinuation(String text) {
        return encode(text.startsWith(" ") ? text.substring(1) : text);
    }

    @Override
    public int[] encode(String text) {
        List<Integer> tokens = new ArrayList<>();
        if (text.isEmpty()) return new int[0];
        Integer space = ids.get(" ");
        if (space != null) tokens.add(space);
        text.codePoints().forEach(cp -> {
            String s = new String(Character.toChars(cp));
            Integer id = ids.get(s);
            if (id != null) {
                tokens.add(id);
            } else {
                for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
                    if (byteIds[x & 0xFF] < 0) {
                        throw new IllegalArgumentException(String.format("the vocabulary (%d pieces) has no piece for the byte 0x%02X (no <0x%02X> piece, no id %d): the text cannot be tokenized",
                                pieces.length, x & 0xFF, x & 0xFF, (x & 0xFF) + 3));
                    }
                    tokens.add(byteIds[x & 0xFF]);
                }
            }
        });
        while (true) {
            float best = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                Integer id = ids.get(pieces[tokens.get(i)] + pieces[tokens.get(i + 1)]);
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) break;
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Like run.c's {@code decode}: a piece after BOS (or at the start) loses its leading space. */
    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int prev = bos;
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
            if (id == bos || id == eos) {
                if (!skipSpecial) out.writeBytes(bytes[id]);
                prev = id;
                continue;
            }
            byte[] piece = bytes[id];
            String s = pieces[id];
            if (s.length() == 6 && s.startsWith("<0x") && s.endsWith(">") && java.util.HexFormat.isHexDigit(s.charAt(3)) && java.util.HexFormat.isHexDigit(s.charAt(4))) {
                out.write(Integer.parseInt(s.substring(3, 5), 16));
            } else if (prev == bos && piece.length > 0 && piece[0] == ' ') {
                out.write(piece, 1, piece.length - 1);
            } else {
                out.writeBytes(piece);
            }
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() { return pieces.length; }

    /** The pieces as llama2.c stores them (a word boundary is a plain space), by id. */
    public List<String> pieces() { return List.of(pieces); }

    /** The merge scores by id. */
    public float[] scores() { return scores.clone(); }

    @Override
    public OptionalInt tokenId(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public OptionalInt bosId() { return bos < 0 ? OptionalInt.empty() : OptionalInt.of(bos); }

    @Override
    public OptionalInt eosId() { return eos < 0 ? OptionalInt.empty() : OptionalInt.of(eos); }
}
