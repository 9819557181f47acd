package dev.auris.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.AudioException;
import dev.auris.io.ManifestFile;
import dev.auris.prompt.Turn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A training manifest: JSONL, one example per line, chat-style.
 *
 * <pre>{@code
 * {"task": "asr", "messages": [
 *    {"role": "user", "content": [{"audio": "clips/0001.wav"}, {"text": "Transcribe the speech into text."}]},
 *    {"role": "assistant", "content": "once upon a time"}]}
 * {"task": "dpo", "messages": [{"role": "user", "content": [{"audio": "q.wav"}]}], "chosen": "...", "rejected": "..."}
 * }</pre>
 *
 * A message's content is a string or a list of parts ({@code {"text": ...}} or {@code {"audio": path}},
 * paths relative to the manifest's folder, as {@link ManifestFile} reads every manifest). The last assistant message is the answer to learn (loss is taken on
 * its tokens only). A bad line is an error naming its line number; a missing audio file fails the load,
 * or with {@code skipMissingAudio} drops the example and is counted in {@link Loaded#skipped()}.
 */
public final class Manifest {
    /** The examples read, and how many lines were skipped for missing audio. */
    public record Loaded(List<Example> examples, int skipped, List<String> skippedReasons) {}

    private Manifest() {}

    public static Loaded read(Path file, boolean skipMissingAudio) {
        return read(ManifestFile.read(file), skipMissingAudio);
    }

    /** The examples of a manifest already read. */
    public static Loaded read(ManifestFile manifest, boolean skipMissingAudio) {
        Path file = manifest.file();
        List<Example> out = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (ManifestFile.Line line : manifest.lines()) {
            int n = line.number();
            try {
                out.add(parse(line.json(), n, manifest));
            } catch (MissingAudio e) {
                if (!skipMissingAudio) {
                    throw manifest.error(line, e.getMessage() + " (pass --skip-missing-audio to skip such lines)");
                }
                skipped.add("line " + n + ": " + e.getMessage());
            } catch (IllegalArgumentException | AudioException e) {
                throw new IllegalArgumentException(file + " line " + n + ": " + e.getMessage(), e);
            }
        }
        return new Loaded(out, skipped.size(), skipped);
    }

    static final class MissingAudio extends RuntimeException {
        MissingAudio(String m) { super(m); }
    }

    static Example parse(JsonNode j, int n, ManifestFile base) {
        String task = j.path("task").asText("instruct");
        JsonNode msgs = j.path("messages");
        if (!msgs.isArray() || msgs.isEmpty()) throw new IllegalArgumentException("\"messages\" must be a non-empty array");
        List<Turn> turns = new ArrayList<>();
        for (JsonNode m : msgs) {
            String role = m.path("role").asText("");
            if (!List.of("system", "user", "assistant").contains(role)) throw new IllegalArgumentException("message role must be system, user or assistant, got '" + role + "'");
            turns.add(new Turn(role, parts(m.path("content"), base)));
        }
        String answer, rejected = null;
        if (j.has("chosen") || j.has("rejected")) {
            if (!j.path("chosen").isTextual() || !j.path("rejected").isTextual()) throw new IllegalArgumentException("preference lines need text \"chosen\" and \"rejected\"");
            answer = j.get("chosen").asText();
            rejected = j.get("rejected").asText();
        } else {
            Turn last = turns.getLast();
            if (!last.role().equals("assistant")) throw new IllegalArgumentException("the last message must be the assistant's answer");
            turns.removeLast();
            answer = last.parts().stream().map(p -> p instanceof Turn.Text t ? t.text() : "").reduce("", String::concat);
        }
        if (turns.isEmpty()) throw new IllegalArgumentException("there is no prompt before the answer");
        return new Example(n, task, turns, answer, rejected);
    }

    /**
     * Clips by file, shared while anything holds them: the asr, sqa and mixed manifests of one data set
     * name the same files, so a stage that mixes them holds each clip once (and the encoder output cache,
     * keyed by clip, encodes it once).
     */
    private static final Map<String, java.lang.ref.WeakReference<AudioClip>> CLIPS = new java.util.concurrent.ConcurrentHashMap<>();
    private static volatile int purgeAt = 4096; // entries of collected clips are dropped when the map doubles

    private static AudioClip clip(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        String key;
        try {
            key = abs + "@" + Files.getLastModifiedTime(abs).toMillis(); // a rewritten file is read again
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + abs + ": " + e.getMessage(), e);
        }
        var ref = CLIPS.get(key);
        AudioClip c = ref == null ? null : ref.get();
        if (c == null) {
            c = Audio.load(abs);
            CLIPS.put(key, new java.lang.ref.WeakReference<>(c));
            if (CLIPS.size() > purgeAt) {
                CLIPS.values().removeIf(r -> r.get() == null);
                purgeAt = Math.max(4096, 2 * CLIPS.size());
            }
        }
        return c;
    }

    private static List<Turn.Part> parts(JsonNode content, ManifestFile base) {
        List<Turn.Part> parts = new ArrayList<>();
        if (content.isTextual()) {
            parts.add(Turn.text(content.asText()));
            return parts;
        }
        if (!content.isArray()) throw new IllegalArgumentException("content must be a string or an array of {\"text\"} / {\"audio\"} parts");
        for (JsonNode p : content) {
            if (p.has("text")) {
                parts.add(Turn.text(p.get("text").asText()));
            } else if (p.has("audio")) {
                Path a = base.resolve(p.get("audio").asText());
                if (!Files.isRegularFile(a)) throw new MissingAudio("audio file " + a + " not found");
                parts.add(Turn.speech(clip(a)));
            } else {
                throw new IllegalArgumentException("a content part needs \"text\" or \"audio\"");
            }
        }
        return parts;
    }
}
