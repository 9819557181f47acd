package dev.auris.cli;

import dev.auris.train.synth.*;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code auris synth --texts sentences.txt --out data/ --distill models/stories260K}: offline TTS data synthesis. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Synthesize speech training data from text with real TTS engines (espeak-ng, flite, festival from Debian; FreeTTS in the JVM;",
                "engines that are not installed are skipped),",
                "16 kHz, with held-out voices and texts. Writes train/ and heldout/ manifests: asr, sqa, mixed, text, repeat, dpo (see README)."})
final class SynthCommand implements Runnable {
    @Option(names = "--texts", required = true, description = "Text file, one sentence / question / instruction per line.")
    Path texts;
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;
    @Option(names = "--engines", split = ",", defaultValue = "espeak-ng,flite,festival,freetts", description = "Engines to use (default: ${DEFAULT-VALUE}).")
    List<String> engines;
    @Option(names = "--clips-per-text", defaultValue = "1")
    int clipsPerText;
    @Option(names = "--held-out-every", defaultValue = "10", description = "Every n-th voice and text line is held out (default: ${DEFAULT-VALUE}).")
    int heldOutEvery;
    @Option(names = "--distill", description = "Text LLM whose answers become the spoken-prompt targets (sqa, mixed, text manifests).")
    Path distill;
    @Option(names = "--distill-tokens", defaultValue = "48")
    int distillTokens;
    @Option(names = "--mixed-instruction", defaultValue = "Answer the spoken request.")
    String mixedInstruction;
    @Option(names = "--held-out-engines", split = ",", description = "Engines whose voices are all held out: they speak the held-out texts in heldout-engine/, never the training ones.")
    List<String> heldOutEngines = List.of();
    @Option(names = "--voice-sampling", defaultValue = "voices", description = "How a clip's voice is drawn: voices (uniformly from all) or engines (an engine first, then one of its voices).")
    String voiceSampling;
    @Option(names = "--train-texts", description = "Prose (plain or gzip) whose sentences of --min-words..--max-words words are spoken in training only, never held out: text diversity that leaves the held-out sets as they are (recipe: synth.train_texts).")
    Path trainTexts;
    @Option(names = "--min-words", defaultValue = "1", description = "--train-texts: shortest sentence kept, in words (default: ${DEFAULT-VALUE}).")
    int minWords;
    @Option(names = "--max-words", defaultValue = "14", description = "--train-texts: longest sentence kept, in words (default: ${DEFAULT-VALUE}).")
    int maxWords;
    @Option(names = "--train-sentences", defaultValue = "0", description = "--train-texts: at most this many sentences, drawn with --seed (0 = all).")
    int trainSentences;
    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override
    public void run() {
        List<TtsEngine> es = new ArrayList<>();
        for (String e : engines) {
            es.add(TtsEngine.byName(e));
        }
        var s = Synthesizer.run(new Synthesizer.Config(Synthesizer.readTexts(Options.resolve(texts)), out, es, clipsPerText, heldOutEvery,
                distill == null ? null : Options.resolve(distill), distillTokens, mixedInstruction, seed,
                new java.util.LinkedHashSet<>(heldOutEngines), switch (voiceSampling) {
                    case "voices" -> false;
                    case "engines" -> true;
                    default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--voice-sampling " + voiceSampling + ": use voices or engines");
                }, trainTexts == null ? List.of() : Prose.sentences(Options.resolve(trainTexts), Math.max(1, minWords), maxWords, trainSentences, seed)), System.err::println);
        System.out.printf(Locale.ROOT, "%d train clips (%d voices), %d held-out clips (%d voices), %d clips of held-out engines, %.1f min of audio, by engine %s; wrote %s%n",
                s.trainClips(), s.trainVoices(), s.heldOutClips(), s.heldOutVoices(), s.heldOutEngineClips(), s.audioSeconds() / 60, s.engines(), out);
    }
}
