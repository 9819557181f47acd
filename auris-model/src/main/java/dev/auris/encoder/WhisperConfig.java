package dev.auris.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The encoder half of a Hugging Face Whisper {@code config.json}. */
public record WhisperConfig(int dModel, int layers, int heads, int ffnDim, int numMelBins, int maxSourcePositions, String activation) {
    public WhisperConfig {
        if (dModel <= 0 || layers <= 0 || heads <= 0 || dModel % heads != 0) {
            throw new CheckpointException("config.json: d_model (" + dModel + ") must be a positive multiple of encoder_attention_heads (" + heads + ")");
        }
        if (!activation.equals("gelu")) {
            throw new CheckpointException("config.json: activation_function '" + activation + "' is not supported (Whisper uses gelu)");
        }
    }

    public int headDim() { return dModel / heads; }

    /** Mel frames the positional table covers: 2 × max_source_positions (3000 = 30 s for Whisper). */
    public int maxFrames() { return 2 * maxSourcePositions; }

    public static WhisperConfig read(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new CheckpointException(configJson + ": cannot read config (" + e.getMessage() + ")", e);
        }
        String type = c.path("model_type").asText("");
        if (!type.equals("whisper")) {
            throw new CheckpointException(configJson.toString(), null, "model_type is '" + type + "', not 'whisper'", "point --encoder at a Whisper model directory");
        }
        return new WhisperConfig(c.path("d_model").asInt(), c.path("encoder_layers").asInt(), c.path("encoder_attention_heads").asInt(),
                c.path("encoder_ffn_dim").asInt(), c.path("num_mel_bins").asInt(80), c.path("max_source_positions").asInt(1500),
                c.path("activation_function").asText("gelu"));
    }
}
