package dev.auris.fusion;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.auris.io.CheckpointException;

import java.util.Map;
import java.util.Set;

/** Reads a typed auris.json section from its JSON object, with errors that name the section and the field. */
final class Sections {
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)  // a misspelt field is an error, not a default
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, true);

    private Sections() {}

    static <T> T read(Map<String, ?> section, Class<T> type, String name, String types, Set<String> known) {
        if (section == null || section.get("type") == null) throw new CheckpointException("auris.json: missing " + name + ".type (" + types + ")");
        Object t = section.get("type");
        if (!known.contains(String.valueOf(t))) throw new CheckpointException("auris.json: " + name + ".type '" + t + "' is unknown: use " + types);
        try {
            return JSON.convertValue(section, type);
        } catch (IllegalArgumentException e) {
            Throwable c = e.getCause() instanceof com.fasterxml.jackson.databind.JsonMappingException m && m.getCause() != null ? m.getCause() : e.getCause();
            String why = c != null && c.getMessage() != null ? c.getMessage().lines().findFirst().orElse("") : e.getMessage();
            throw new CheckpointException("auris.json: " + name + " " + section + ": " + why, e);
        }
    }
}
