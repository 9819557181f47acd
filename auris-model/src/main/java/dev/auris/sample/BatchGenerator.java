package dev.auris.sample;

import dev.auris.core.Torch;
import dev.auris.llm.KvCache;
import dev.auris.llm.Llm;
import dev.auris.tokenizer.Tokenizer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * B independent continuations of equal-length prompts decoded in lock-step: one batched forward per
 * token instead of B, which is what bulk sampling (a recipe's story sampling) needs from a small LLM whose
 * every step is dispatch-bound. Row i has its own {@link Sampler} (options i: its seed), so its tokens are
 * what {@link Generator} gives for the same prompt and options, up to batched-matmul round-off. A row stops
 * at an EOS/stop token or its token budget; finished rows ride along until the last one ends. No stop
 * strings (use {@link Generator} for those). Each step runs in its own pointer scope.
 *
 * <p>Shapes: B rows, P prompt length, D hidden, V vocabulary.
 */
public final class BatchGenerator {
    private BatchGenerator() {}

    public static List<Generator.Result> generate(Llm llm, int[][] prompts, Tokenizer tokenizer, List<SamplingOptions> options, Set<Integer> eosIds) {
        int b = prompts.length;
        if (b == 0 || options.size() != b) throw new IllegalArgumentException("batch generation needs one SamplingOptions per prompt: " + b + " prompts, " + options.size() + " options");
        int p = prompts[0].length, v = llm.config().vocabSize();
        for (int[] prompt : prompts) {
            if (prompt.length != p || p == 0) throw new IllegalArgumentException("batch generation needs non-empty prompts of one length, got " + p + " and " + prompt.length);
            for (int id : prompt) if (id < 0 || id >= v) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + v + ")");
        }
        if (options.stream().anyMatch(o -> !o.stopStrings().isEmpty())) throw new IllegalArgumentException("batch generation has no stop strings: use Generator");
        long t0 = System.nanoTime();
        int max = llm.config().maxPositionEmbeddings();
        Sampler[] samplers = new Sampler[b];
        TextStreamer[] text = new TextStreamer[b];
        List<List<Integer>> out = new ArrayList<>();
        List<Set<Integer>> stops = new ArrayList<>();
        Generator.StopReason[] reason = new Generator.StopReason[b];
        long[] first = new long[b];
        for (int i = 0; i < b; i++) {
            samplers[i] = new Sampler(options.get(i));
            text[i] = new TextStreamer(tokenizer, new int[]{prompts[i][p - 1]});
            out.add(new ArrayList<>());
            Set<Integer> st = new HashSet<>(eosIds);
            st.addAll(options.get(i).stopTokens());
            stops.add(st);
        }
        int[] feed = new int[b * p];
        for (int i = 0; i < b; i++) System.arraycopy(prompts[i], 0, feed, i * p, p);
        int position = 0, width = p, done = 0;
        try (KvCache cache = llm.newCache()) {
            while (done < b) {
                if (position + width > max) {
                    for (int i = 0; i < b; i++) if (reason[i] == null) reason[i] = Generator.StopReason.CONTEXT_FULL;
                    break;
                }
                float[] logits;
                try (PointerScope scope = new PointerScope()) {
                    Tensor x = llm.embed(Torch.fromInts(feed).view(b, width));                  // [B, W, D]
                    Tensor h = llm.forward(x, position, cache, null, null);                    // [B, W, D]
                    logits = Torch.toFloats(llm.logits(h.narrow(1, width - 1, 1)).contiguous()); // [B, 1, V]
                }
                position += width;
                width = 1;
                feed = new int[b];
                for (int i = 0; i < b; i++) {
                    if (reason[i] != null) continue;
                    int next = samplers[i].sample(Arrays.copyOfRange(logits, i * v, (i + 1) * v), history(prompts[i], out.get(i)));
                    if (first[i] == 0) first[i] = System.nanoTime() - t0;
                    feed[i] = next;
                    if (stops.get(i).contains(next)) {
                        reason[i] = Generator.StopReason.EOS;
                        done++;
                        continue;
                    }
                    out.get(i).add(next);
                    text[i].add(next);
                    if (out.get(i).size() >= options.get(i).maxTokens()) {
                        reason[i] = Generator.StopReason.MAX_TOKENS;
                        done++;
                    }
                }
            }
        }
        long total = System.nanoTime() - t0;
        List<Generator.Result> results = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            results.add(new Generator.Result(out.get(i).stream().mapToInt(Integer::intValue).toArray(), text[i].text(), reason[i], first[i], total));
        }
        return results;
    }

    /** A row's history for the sampler's penalties: its prompt, then what it generated. */
    private static int[] history(int[] prompt, List<Integer> generated) {
        int[] h = Arrays.copyOf(prompt, prompt.length + generated.size());
        for (int j = 0; j < generated.size(); j++) h[prompt.length + j] = generated.get(j);
        return h;
    }
}
