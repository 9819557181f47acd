/** Stage 3, fusion (survey §4): a {@code FeatureSelector} picks encoder features [B, T, De], a {@code Connector} maps them into the LLM's input space [B, T', D] given the LLM's embedding table [V, D]; {@code Fusion} builds both from auris.json. Imports neither llm nor sample. */
package dev.auris.fusion;
