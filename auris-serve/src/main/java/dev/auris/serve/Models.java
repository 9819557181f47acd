package dev.auris.serve;

import java.util.List;

/** {@code GET /v1/models} and the check that a request names the one model this server has. */
final class Models {
    record Model(String id, String object, long created, String ownedBy) {}

    record ModelList(String object, List<Model> data) {}

    private Models() {}

    static ModelList list(String modelId, long created) {
        return new ModelList("list", List.of(new Model(modelId, "model", created, "auris")));
    }

    static void check(String requested, String modelId) {
        if (requested == null || requested.isBlank()) throw ApiError.invalid("model is missing: this server has '" + modelId + "'", "model", "missing_required_parameter");
        if (!requested.equals(modelId)) {
            throw ApiError.notFound("The model '" + requested + "' does not exist: this server has '" + modelId + "' (GET /v1/models)", "model", "model_not_found");
        }
    }
}
