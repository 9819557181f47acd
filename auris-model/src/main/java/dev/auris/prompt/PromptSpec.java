package dev.auris.prompt;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How conversations become LLM input. {@code template}: a Jinja chat template (null: the LLM's own,
 * else plain concatenation); {@code system}: system prompt; {@code instruction}: appended to a user
 * turn that holds only speech; {@code transcribe}: the instruction that asks for a transcript
 * ({@code auris transcribe}); {@code addBos}: prepend the BOS token id (for templates without one).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromptSpec(String template, String system, String instruction, String transcribe, boolean addBos) {
    public PromptSpec(String template, String system, String instruction, boolean addBos) {
        this(template, system, instruction, null, addBos);
    }

    /** LLaMA-Omni's fixed speech prompt (and LLaSM's ASR instruction for transcripts). */
    public static PromptSpec llamaOmni() {
        return new PromptSpec(null, "You are a helpful language and speech assistant. You are able to understand the speech content that the user provides, "
                + "and assist the user with a variety of tasks using natural language.", Instructions.LLAMA_OMNI,
                Instructions.LLASM_ASR.getFirst(), false);
    }
}
