package dev.auris.train.eval;

import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.Turn;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Retention of the text skills on text.jsonl (prompt + answer): the text-only perplexity of the model's LLM
 * (with its LoRA) against the base LLM's, over all tokens after BOS. NaN without the file.
 */
record Retention(int examples, double basePerplexity, double modelPerplexity) {
    static Retention measure(SpeechLlm model, Path text, int limit) {
        if (!Files.isRegularFile(text)) return new Retention(0, Double.NaN, Double.NaN);
        double nllBase = 0, nllModel = 0;
        long tokens = 0;
        int n = 0;
        for (Example e : Greedy.take(Manifest.read(text, true).examples(), limit)) {
            int[] ids = Greedy.withBos(model, ((Turn.Text) e.prompt().getFirst().parts().getFirst()).text() + e.answer());
            nllBase += Greedy.nll(model.text().llm(), ids);
            nllModel += Greedy.nll(model.llm(), ids);
            tokens += ids.length - 1;
            n++;
        }
        return new Retention(n, Math.exp(nllBase / tokens), Math.exp(nllModel / tokens));
    }
}
