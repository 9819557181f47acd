/** Stage 5, the prompt: chat {@code Turn}s of text and speech, rendered by a Jinja chat template ({@code ChatTemplate}) into token pieces and {@code <speech>} slots ({@code PromptBuilder}, {@code PromptSpec}). */
package dev.auris.prompt;
