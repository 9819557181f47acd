package dev.auris.serve;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/** The one Jackson mapper of the server: OpenAI's snake_case on the wire, camelCase record components in Java, nulls left out. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Json() {}

    static String write(Object o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + o.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Parses a request body; malformed JSON or a field of the wrong type is a 400 naming the place. */
    static <T> T read(byte[] body, Class<T> type) {
        if (body.length == 0) throw ApiError.invalid("the request body is empty: send a JSON object", null, "invalid_json");
        try {
            return MAPPER.readValue(body, type);
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse(null);
            throw ApiError.invalid("a field has the wrong type" + (path == null ? "" : " at " + path) + ": " + e.getOriginalMessage(), path, "invalid_type");
        } catch (java.io.IOException e) {
            String msg = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw ApiError.invalid("the request body is not valid JSON: " + msg, null, "invalid_json");
        }
    }
}
