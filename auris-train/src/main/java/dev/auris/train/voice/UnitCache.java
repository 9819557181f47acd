package dev.auris.train.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.Audio;
import dev.auris.core.Torch;
import dev.auris.io.AtomicFiles;
import dev.auris.units.Codebook;
import org.bytedeco.javacpp.PointerScope;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Frame units of a data set's clips, computed once and kept beside the manifest in
 * {@code units-<codebook key>.json}: the key hashes the codebook's centroids and the features' name, so a new
 * codebook writes a new file; each clip's entry records the SHA-256 of its audio file, so a re-synthesized clip
 * is computed again. Units are per frame (50 a second, duplicates kept: the vocoder trains on frames);
 * {@link Codebook#dedup} gives the speech decoder's targets.
 */
public final class UnitCache {
    private UnitCache() {}

    /** The cache file of {@code codebook} for a manifest. */
    public static Path file(Path manifest, Codebook codebook, UnitFeatures features) {
        return manifest.resolveSibling("units-" + key(codebook, features) + ".json");
    }

    /** Frame units of each clip (paths relative to the manifest's directory), from the cache where still valid. */
    public static Map<String, long[]> frames(Path manifest, List<String> clips, Codebook codebook, UnitFeatures features) {
        Path file = file(manifest, codebook, features);
        ObjectMapper json = new ObjectMapper();
        JsonNode cached = json.createObjectNode();
        if (Files.isRegularFile(file)) {
            try {
                cached = json.readTree(file.toFile()).path("clips");
            } catch (IOException e) {
                cached = json.createObjectNode();                                            // unreadable: recompute
            }
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        ObjectNode root = json.createObjectNode().put("features", features.name()).put("k", codebook.size());
        ObjectNode entries = root.putObject("clips");
        boolean changed = !Files.isRegularFile(file);
        for (String clip : clips) {
            Path audio = manifest.resolveSibling(clip);
            String sha = sha256(audio);
            JsonNode c = cached.path(clip);
            long[] units;
            if (c.path("sha256").asText("").equals(sha)) {
                units = new long[c.path("units").size()];
                for (int i = 0; i < units.length; i++) units[i] = c.path("units").get(i).asLong();
            } else {
                try (PointerScope scope = new PointerScope()) {
                    units = Torch.toLongs(codebook.assign(features.frames(Audio.load(audio))));
                }
                changed = true;
            }
            out.put(clip, units);
            ObjectNode e = entries.putObject(clip).put("sha256", sha);
            var a = e.putArray("units");
            for (long u : units) a.add(u);
        }
        if (changed) AtomicFiles.writeString(file, root.toString());
        return out;
    }

    static String key(Codebook codebook, UnitFeatures features) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(features.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(Torch.toBytes(codebook.centroids().to(org.bytedeco.pytorch.global.torch.ScalarType.Float).contiguous()));
            return HexFormat.of().formatHex(md.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
