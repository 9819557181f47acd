package dev.auris.cli;

import dev.auris.llm.Llama2cConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code auris convert --llama2c stories260K.bin --tokenizer tok512.bin --out models/stories260K}. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a llama2.c checkpoint (and its tokenizer) into a Hugging Face Llama directory (config.json + model.safetensors).")
final class ConvertCommand implements Runnable {
    @Option(names = "--llama2c", required = true, description = "llama2.c checkpoint (.bin, legacy format).")
    Path checkpoint;
    @Option(names = "--tokenizer", description = "llama2.c tokenizer (tok512.bin / tokenizer.bin), copied as tokenizer.bin.")
    Path tokenizer;
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Override
    public void run() {
        Llama2cConverter.convert(Options.resolve(checkpoint), tokenizer == null ? null : Options.resolve(tokenizer), out);
        System.err.println("wrote " + out + " (config.json, model.safetensors, generation_config.json" + (tokenizer != null ? ", tokenizer.bin" : "") + ")");
    }
}
