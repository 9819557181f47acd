package dev.auris.fusion;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.Set;

/**
 * auris.json's {@code connector} section (survey §4 step 2), one record a connector type, read by Jackson by
 * its {@code type}. Absent fields take their defaults here; {@code hidden} of conv defaults to the LLM width
 * when the connector is built. How a ctc-compress model hears at inference is the {@code decoding} section's.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = ConnectorSpec.FrameStackMlp.class, name = "frame-stack-mlp"),
        @JsonSubTypes.Type(value = ConnectorSpec.Linear.class, name = "linear"),
        @JsonSubTypes.Type(value = ConnectorSpec.Conv.class, name = "conv"),
        @JsonSubTypes.Type(value = ConnectorSpec.TokenMapper.class, name = "token-mapper"),
        @JsonSubTypes.Type(value = ConnectorSpec.CtcCompress.class, name = "ctc-compress"),
        @JsonSubTypes.Type(value = ConnectorSpec.AudioVocab.class, name = "audio-vocab"),
        @JsonSubTypes.Type(value = ConnectorSpec.Ultravox.class, name = "ultravox")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ConnectorSpec permits ConnectorSpec.FrameStackMlp, ConnectorSpec.Linear, ConnectorSpec.Conv, ConnectorSpec.TokenMapper,
        ConnectorSpec.CtcCompress, ConnectorSpec.AudioVocab, ConnectorSpec.Ultravox {
    /** The type names auris.json may use, for error messages. */
    String TYPES = "frame-stack-mlp, linear, conv, token-mapper, ctc-compress, audio-vocab or ultravox";

    /** LLaMA-Omni's adaptor: stack k frames, 2-layer MLP (k 5, hidden 2048). */
    record FrameStackMlp(Integer k, Integer hidden) implements ConnectorSpec {
        public FrameStackMlp {
            k = k == null ? 5 : k;
            hidden = hidden == null ? 2048 : hidden;
        }
    }

    /** One projection after stacking k frames (LLaSM; k 1). */
    record Linear(Integer k) implements ConnectorSpec {
        public Linear {
            k = k == null ? 1 : k;
        }
    }

    /** Strided conv (k 2) + GELU + linear; hidden: the LLM width when absent. */
    record Conv(Integer k, Integer hidden) implements ConnectorSpec {
        public Conv {
            k = k == null ? 2 : k;
        }
    }

    /** k-means units (100) → existing text token ids. */
    record TokenMapper(Integer units) implements ConnectorSpec {
        public TokenMapper {
            units = units == null ? 100 : units;
        }
    }

    /** CTC compression into the LLM's embedding space (temperature 1, blank_threshold 0.5). */
    record CtcCompress(Double temperature, Double blankThreshold) implements ConnectorSpec {
        public CtcCompress {
            temperature = temperature == null ? 1.0 : temperature;
            blankThreshold = blankThreshold == null ? 0.5 : blankThreshold;
        }
    }

    /** K new audio tokens (100) in the LLM's vocabulary. */
    record AudioVocab(Integer units) implements ConnectorSpec {
        public AudioVocab {
            units = units == null ? 100 : units;
        }
    }

    /**
     * Ultravox's projector: stack stack_factor frames (8), RMSNorm, linear to hidden (4096) → SwiGLU → linear;
     * ln_mid (false): the RMSNorm after the SwiGLU (v0.5+) instead of after the last linear (v0.4.1 and earlier).
     */
    record Ultravox(Integer stackFactor, Integer hidden, Boolean lnMid) implements ConnectorSpec {
        public Ultravox {
            stackFactor = stackFactor == null ? 8 : stackFactor;
            hidden = hidden == null ? 4096 : hidden;
            lnMid = lnMid != null && lnMid;
        }
    }

    /** The name auris.json gives this type. */
    default String type() {
        return switch (this) {
            case FrameStackMlp c -> "frame-stack-mlp";
            case Linear c -> "linear";
            case Conv c -> "conv";
            case TokenMapper c -> "token-mapper";
            case CtcCompress c -> "ctc-compress";
            case AudioVocab c -> "audio-vocab";
            case Ultravox c -> "ultravox";
        };
    }

    /** A connector section as a recipe or the command line gives it (a JSON object as a map). */
    static ConnectorSpec of(java.util.Map<String, ?> section) {
        return Sections.read(section, ConnectorSpec.class, "connector", TYPES,
                Set.of("frame-stack-mlp", "linear", "conv", "token-mapper", "ctc-compress", "audio-vocab", "ultravox"));
    }
}
