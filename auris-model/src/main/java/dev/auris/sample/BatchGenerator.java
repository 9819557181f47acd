package dev.auris.sample;

import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import dev.auris.tokenizer.Tokenizer;
import org.bytedeco.javacpp.PointerScope;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * B independent continuations decoded together: each prompt (any length) is prefilled in its own session,
 * then all decode in one {@link ContinuousBatch}, one batched forward per token instead of B, which is what
 * bulk sampling (a recipe's story sampling) needs from a small LLM whose every step is dispatch-bound. Row i
 * has its own {@link Sampler} (options i: its seed), so its tokens are what {@link Generator} gives for the
 * same prompt and options, up to batched-matmul round-off; a row that ends leaves the batch.
 */
public final class BatchGenerator {
    private BatchGenerator() {}

    public static List<Generator.Result> generate(Llm llm, int[][] prompts, Tokenizer tokenizer, List<SamplingOptions> options, Set<Integer> eosIds) {
        int b = prompts.length;
        if (b == 0 || options.size() != b) throw new IllegalArgumentException("batch generation needs one SamplingOptions per prompt: " + b + " prompts, " + options.size() + " options");
        for (int[] prompt : prompts) if (prompt.length == 0) throw new IllegalArgumentException("batch generation needs non-empty prompts");
        List<Session> sessions = new ArrayList<>();
        Map<Decoding, Integer> row = new IdentityHashMap<>();
        Generator.Result[] results = new Generator.Result[b];
        try (ContinuousBatch batch = new ContinuousBatch(llm); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            for (int i = 0; i < b; i++) {
                Session s = llm.newSession();
                sessions.add(s);
                try (PointerScope scope = new PointerScope()) {
                    var logits = s.prefill(prompts[i]);
                    Decoding d = new Decoding(tokenizer, options.get(i), eosIds, prompts[i], t -> {}, null);
                    row.put(d, i);
                    batch.join(s, logits, d, false);
                }
            }
            while (batch.size() > 0) {
                for (ContinuousBatch.Member m : batch.step()) results[row.get(m.decoding())] = m.decoding().result();
            }
        } finally {
            sessions.forEach(Session::close);
        }
        return List.of(results);
    }
}
