package dev.auris.cli;

import dev.auris.pipeline.ReleasedLayout;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The parts a released speech LLM directory (LLaMA-Omni's, Ultravox's: no auris.json) only names, given locally:
 * {@code auris chat --model Llama-3.1-8B-Omni --vocoder vocoder --audio q.wav}. Ignored for Auris model directories.
 */
final class ReleasedOptions {
    @Option(names = "--encoder", paramLabel = "WHISPER", description = {"Released models: the Whisper encoder — openai-whisper's .pt (LLaMA-Omni's",
            "speech_encoder) or a Hugging Face Whisper directory (Ultravox's audio_model_id)."})
    Path encoder;

    @Option(names = "--llm", paramLabel = "DIR", description = "Released models: the text model's Hugging Face directory (Ultravox's text_model_id).")
    Path llm;

    @Option(names = "--vocoder", paramLabel = "DIR", description = {"Released models: the unit vocoder directory (config.json + g_00500000) that",
            "gives LLaMA-Omni its voice (default: vocoder/ inside or beside the model directory)."})
    Path vocoder;

    ReleasedLayout.Overrides overrides() {
        return new ReleasedLayout.Overrides(encoder == null ? null : Options.resolve(encoder), llm == null ? null : Options.resolve(llm),
                vocoder == null ? null : Options.resolve(vocoder));
    }
}
