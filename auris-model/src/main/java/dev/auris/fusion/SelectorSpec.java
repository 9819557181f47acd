package dev.auris.fusion;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.List;

/**
 * auris.json's {@code selector} section (survey §4 step 1), one record a selector type, read by Jackson by
 * its {@code type}. Absent fields take their defaults here; {@code heads} of window-queries defaults to
 * the encoder width / 64 when the selector is built.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = SelectorSpec.Final.class, name = "final"),
        @JsonSubTypes.Type(value = SelectorSpec.Weighted.class, name = "weighted"),
        @JsonSubTypes.Type(value = SelectorSpec.WindowQueries.class, name = "window-queries")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface SelectorSpec permits SelectorSpec.Final, SelectorSpec.Weighted, SelectorSpec.WindowQueries {
    /** The type names auris.json may use, for error messages. */
    String TYPES = "final, weighted or window-queries";

    /** The encoder's last layer (LLaMA-Omni, LLaSM). */
    record Final() implements SelectorSpec {}

    /** A softmax-weighted sum of the given layer outputs (0 = embeddings … L = final); null: every layer 1..L. */
    record Weighted(List<Integer> layers) implements SelectorSpec {
        public Weighted {
            layers = layers == null ? null : List.copyOf(layers);
        }
    }

    /** Learned queries cross-attending per window (SALMONN's window-level Q-Former). */
    record WindowQueries(Integer window, Integer queries, Integer heads) implements SelectorSpec {
        public WindowQueries {
            window = window == null ? 17 : window;
            queries = queries == null ? 1 : queries;
        }
    }

    /** The name auris.json gives this type. */
    default String type() {
        return switch (this) {
            case Final f -> "final";
            case Weighted w -> "weighted";
            case WindowQueries q -> "window-queries";
        };
    }

    /** A selector section as a recipe or the command line gives it (a JSON object as a map). */
    static SelectorSpec of(java.util.Map<String, ?> section) {
        return Sections.read(section, SelectorSpec.class, "selector", TYPES, java.util.Set.of("final", "weighted", "window-queries"));
    }
}
