package dev.auris.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.features.LogMel;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The encoder half of a Hugging Face Whisper {@code config.json}, plus the front end's hop from the
 * {@code preprocessor_config.json} beside it (WhisperFeatureExtractor's {@code hop_length}; 160 when absent).
 */
public record WhisperConfig(int dModel, int layers, int heads, int ffnDim, int numMelBins, int maxSourcePositions, String activation, int hopLength) {
    /** The name of the feature extractor's file in a Hugging Face model directory. */
    public static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";

    public WhisperConfig {
        if (!LogMel.usableHop(hopLength)) {
            throw new CheckpointException(PREPROCESSOR_CONFIG + ": hop_length " + hopLength + " is not usable: " + LogMel.HOP_RULE);
        }
        if (dModel <= 0 || layers <= 0 || heads <= 0 || dModel % heads != 0) {
            throw new CheckpointException("config.json: d_model (" + dModel + ") must be a positive multiple of encoder_attention_heads (" + heads + ")");
        }
        if (ffnDim <= 0 || numMelBins <= 0 || numMelBins > 512 || maxSourcePositions <= 0 || maxSourcePositions > 1 << 20) {
            throw new CheckpointException("config.json: encoder_ffn_dim (" + ffnDim + "), num_mel_bins (" + numMelBins + ", at most 512) and max_source_positions ("
                    + maxSourcePositions + ", at most 2^20) must be positive");
        }
        if (!activation.equals("gelu")) {
            throw new CheckpointException("config.json: activation_function '" + activation + "' is not supported (Whisper uses gelu)");
        }
    }

    /** Whisper's front end (hop 160: 100 mel frames, 50 positions a second). */
    public WhisperConfig(int dModel, int layers, int heads, int ffnDim, int numMelBins, int maxSourcePositions, String activation) {
        this(dModel, layers, heads, ffnDim, numMelBins, maxSourcePositions, activation, LogMel.HOP_LENGTH);
    }

    public int headDim() { return dModel / heads; }

    /** Mel frames the positional table covers: 2 × max_source_positions (3000 = 30 s for Whisper). */
    public int maxFrames() { return 2 * maxSourcePositions; }

    /** Seconds of audio the positional table covers. */
    public double maxSeconds() { return (double) maxFrames() * hopLength / LogMel.SAMPLE_RATE; }

    /** The log-mel front end this encoder was trained on. */
    public LogMel features() { return LogMel.of(numMelBins, hopLength); }

    public static WhisperConfig read(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new CheckpointException(configJson + ": cannot read config (" + e.getMessage() + ")", e);
        }
        int hop = LogMel.HOP_LENGTH;
        Path pre = configJson.resolveSibling(PREPROCESSOR_CONFIG);
        if (Files.isRegularFile(pre)) {
            try {
                hop = new ObjectMapper().readTree(Files.readString(pre)).path("hop_length").asInt(LogMel.HOP_LENGTH);
            } catch (IOException e) {
                throw new CheckpointException(pre + ": cannot read the feature extractor's config (" + e.getMessage() + ")", e);
            }
        }
        return of(c, hop, configJson.toString());
    }

    /** The config whose JSON tree {@code c} was read from {@code configJson}, with the feature extractor's hop. */
    public static WhisperConfig of(Path configJson, JsonNode c, int hop) {
        return of(c, hop, configJson.toString());
    }

    /** A Whisper config already parsed ({@code where} names it in errors), e.g. the {@code audio_config} a composite model embeds. */
    public static WhisperConfig of(JsonNode c, int hop, String where) {
        Path configJson = Path.of(where);
        if (c == null || !c.isObject()) throw new CheckpointException(configJson + ": not a JSON object");
        String type = c.path("model_type").asText("");
        if (!type.equals("whisper")) {
            throw new CheckpointException(configJson.toString(), null, "model_type is '" + type + "', not 'whisper'", "point --encoder at a Whisper model directory");
        }
        return new WhisperConfig(c.path("d_model").asInt(), c.path("encoder_layers").asInt(), c.path("encoder_attention_heads").asInt(),
                c.path("encoder_ffn_dim").asInt(), c.path("num_mel_bins").asInt(80), c.path("max_source_positions").asInt(1500),
                c.path("activation_function").asText("gelu"), hop);
    }
}
