package dev.auris.serve;

import dev.auris.speech.SpeechHead;

import java.util.List;
import java.util.Optional;

/**
 * What a chat request asks of a spoken answer, as OpenAI's audio output: {@code modalities: ["text", "audio"]}
 * with {@code audio: {"voice", "format"}}, format {@code wav} (whole answers) or {@code pcm16} (24 kHz mono
 * 16-bit little-endian; the only format a stream carries, as OpenAI's). The model has one voice: any
 * {@code voice} name gets it. A model without a speech head answers every such request with a 400.
 */
record SpokenReply(SpeechHead head, String voice, String format) {
    static final List<String> FORMATS = List.of("wav", "pcm16");

    /** Null when the request wants text only. */
    static SpokenReply of(ChatRequest r, Optional<SpeechHead> voice, String modelId) {
        if (!r.wantsAudio()) return null;
        String param = r.modalities() != null && r.modalities().contains("audio") ? "modalities" : "audio";
        SpeechHead head = voice.orElseThrow(() -> ApiError.invalid(modelId + " answers in text only: it has no voice (no speech decoder and vocoder: "
                + "its auris.json has no speech section); ask with modalities [\"text\"] and no \"audio\" field", param, "audio_output_unsupported"));
        if (r.modalities() == null || !r.modalities().contains("audio")) {
            throw ApiError.invalid("audio output needs modalities [\"text\", \"audio\"] beside the audio field", "modalities", "invalid_value");
        }
        if (r.modalities().stream().anyMatch(m -> !m.equals("text") && !m.equals("audio"))) {
            throw ApiError.invalid("modalities may hold \"text\" and \"audio\", got " + r.modalities(), "modalities", "invalid_value");
        }
        if (r.audio() == null) throw ApiError.invalid("modalities asks for audio: add \"audio\": {\"voice\": \"alloy\", \"format\": \"wav\"}", "audio", "missing_required_parameter");
        String format = r.audio().format() == null ? "" : r.audio().format();
        if (!FORMATS.contains(format)) {
            throw ApiError.invalid("audio.format '" + format + "' is not supported: use wav or pcm16 (24 kHz mono 16-bit)", "audio.format", "invalid_value");
        }
        if (r.streaming() && !format.equals("pcm16")) {
            throw ApiError.invalid("a streamed spoken answer comes as pcm16 chunks (as OpenAI streams audio): ask with audio.format \"pcm16\", or without stream",
                    "audio.format", "invalid_value");
        }
        if (r.audio().voice() == null || r.audio().voice().isBlank()) throw ApiError.invalid("audio.voice is missing (any name: the model has one voice)", "audio.voice", "missing_required_parameter");
        return new SpokenReply(head, r.audio().voice(), format);
    }

    /** The whole answer's audio in the asked format. */
    byte[] encode(byte[] pcm16) { return format.equals("wav") ? AudioOut.wav(pcm16) : pcm16; }
}
