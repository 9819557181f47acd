/** OpenAI-compatible serving of a speech LLM: HTTP (chat completions, transcriptions, models), realtime WebSocket, web page. */
package dev.auris.serve;
