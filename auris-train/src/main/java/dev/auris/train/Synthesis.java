package dev.auris.train;

import dev.auris.io.AtomicFiles;
import dev.auris.core.DType;
import dev.auris.llm.TextModel;
import dev.auris.sample.BatchGenerator;
import dev.auris.sample.SamplingOptions;
import dev.auris.train.synth.*;

import java.nio.file.Path;
import java.util.*;
import java.util.function.Function;

/** The synthesis step of a recipe: gather texts (file and/or sentences sampled from an LLM), then {@link Synthesizer}. */
final class Synthesis {
    private Synthesis() {}

    static void run(Recipe.SynthSpec s, Function<String, Path> paths, Path out, Progress progress) {
        LinkedHashSet<String> texts = new LinkedHashSet<>();
        if (s.texts() != null) texts.addAll(Synthesizer.readTexts(paths.apply(s.texts())));
        if (s.sampleLlm() != null) texts.addAll(sampleSentences(paths.apply(s.sampleLlm()), s.sampleStories(), s.temperature(),
                Math.max(1, s.minWords()), s.maxWords() <= 0 ? 14 : s.maxWords(), s.seed()));
        List<String> list = new ArrayList<>(texts);
        AtomicFiles.writeString(out.resolve("texts.txt"), String.join("\n", list) + "\n");
        List<String> trainOnly = s.trainTexts() == null ? List.of() : Prose.sentences(paths.apply(s.trainTexts()), Math.max(1, s.minWords()),
                s.maxWords() <= 0 ? 14 : s.maxWords(), s.trainSentences(), s.seed());
        if (!trainOnly.isEmpty()) {
            AtomicFiles.writeString(out.resolve("train-texts.txt"), String.join("\n", trainOnly) + "\n");
            progress.message("+ " + trainOnly.size() + " train-only sentences from " + s.trainTexts());
        }
        progress.message("synthesizing " + list.size() + " texts");
        List<TtsEngine> engines = new ArrayList<>();
        for (String e : s.engines() == null ? List.of("espeak-ng", "flite", "festival", "freetts") : s.engines()) {
            engines.add(TtsEngine.byName(e));
        }
        if (s.install()) EngineSetup.ensure(engines, progress::message);
        var summary = Synthesizer.run(new Synthesizer.Config(list, out, engines, Math.max(1, s.clipsPerText()), s.heldOutEvery() <= 1 ? 10 : s.heldOutEvery(),
                s.distill() == null ? null : paths.apply(s.distill()), s.distillTokens() <= 0 ? 32 : s.distillTokens(),
                s.mixedInstruction() == null ? "Answer the spoken request." : s.mixedInstruction(), s.seed(),
                s.heldOutEngines() == null ? Set.of() : new LinkedHashSet<>(s.heldOutEngines()), s.balanceEngines(), trainOnly), progress::message);
        progress.message(String.format(Locale.ROOT, "synthesized %d train + %d held-out clips + %d of held-out engines, %.1f min, engines %s", summary.trainClips(), summary.heldOutClips(), summary.heldOutEngineClips(),
                summary.audioSeconds() / 60, summary.engines()));
    }

    /** Stories sampled per batched forward (rows of one {@link BatchGenerator} call). */
    static final int STORY_BATCH = 64;

    /**
     * Sentences of {@code n} stories sampled from a text LLM (whole sentences of minWords..maxWords words),
     * in story order whatever the number of threads: story i is sampled with seed (seed, i), in lock-step
     * batches of {@link #STORY_BATCH} (a 260K-parameter LLM is dispatch-bound one story at a time).
     */
    static List<String> sampleSentences(Path llm, int n, double temperature, int minWords, int maxWords, long seed) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        try (TextModel m = TextModel.load(llm, DType.F32)) {
            int bos = m.tokenizer().bosId().orElse(1);
            int batches = (n + STORY_BATCH - 1) / STORY_BATCH;
            List<List<String>> stories = dev.auris.train.synth.Parallel.map(batches, k -> {
                int from = k * STORY_BATCH, rows = Math.min(STORY_BATCH, n - from);
                int[][] prompts = new int[rows][];
                List<SamplingOptions> opts = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    prompts[r] = new int[]{bos};
                    opts.add(new SamplingOptions(temperature <= 0 ? 0.9 : temperature, 0, 0.95, 0, 1, seed * 100_003L + from + r, 200, Set.of(), List.of()));
                }
                List<String> sentences = new ArrayList<>();
                try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
                    for (var r : BatchGenerator.generate(m.llm(), prompts, m.tokenizer(), opts, m.eosIds())) {
                        for (String sent : r.text().split("(?<=[.!?])\\s+|\\n+")) {
                            String t = sent.strip();
                            int words = t.isEmpty() ? 0 : t.split("\\s+").length;
                            if (words >= minWords && words <= maxWords && t.matches(".*[.!?]$") && !t.contains("\"")) sentences.add(t);
                        }
                    }
                }
                return sentences;
            });
            stories.forEach(out::addAll);
        }
        return new ArrayList<>(out);
    }
}
