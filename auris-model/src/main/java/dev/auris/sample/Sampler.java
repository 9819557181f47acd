package dev.auris.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Picks the next token from float32 logits [V]. Stateful only in its random stream (seeded), so one
 * sampler per generation.
 *
 * <p>The options become a chain of {@link LogitFilter}s, as openai/whisper's {@code decoding.py}
 * composes its filters before a decoder picks, in the order of Hugging Face's logits processors:
 * repetition penalty, temperature, top-k, top-p, min-p. Only the filters that change something are in
 * the chain. Temperature 0 is greedy: the argmax after the repetition penalty, no random draw. Otherwise
 * one draw over the kept tokens, in proportion to their probabilities (the softmax taken after top-k),
 * so each sample takes exactly one {@code nextDouble} from the stream.
 */
public final class Sampler {
    private final List<LogitFilter> filters;
    private final boolean greedy;
    private final SplittableRandom random;

    public Sampler(SamplingOptions options) {
        this.greedy = options.temperature() == 0;
        this.filters = chain(options);
        this.random = new SplittableRandom(options.seed());
    }

    /** The filters {@code o} asks for, in Hugging Face's order; greedy decoding needs only the penalty. */
    static List<LogitFilter> chain(SamplingOptions o) {
        List<LogitFilter> f = new ArrayList<>();
        if (o.repetitionPenalty() != 1) f.add(new RepetitionPenalty(o.repetitionPenalty()));
        if (o.temperature() == 0) return List.copyOf(f);
        f.add(new Temperature(o.temperature()));
        if (o.topK() > 0) f.add(new TopK(o.topK()));
        if (o.topP() < 1) f.add(new TopP(o.topP()));
        if (o.minP() > 0) f.add(new MinP(o.minP()));
        return List.copyOf(f);
    }

    /** The next token given the logits and the tokens seen so far (for the repetition penalty). */
    public int sample(float[] logits, int[] history) {
        Candidates c = new Candidates(logits, history);
        for (LogitFilter f : filters) f.apply(c);
        return greedy ? argmax(c.logits()) : draw(c);
    }

    /** One token drawn from the kept ones, in proportion to their (un-renormalised) probabilities. */
    private int draw(Candidates c) {
        double[] p = c.probabilities();
        double total = 0;
        for (int i = 0; i < p.length; i++) if (c.kept(i)) total += p[i];
        double u = random.nextDouble() * total, cum = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (!c.kept(i)) continue;
            last = i;
            cum += p[i];
            if (u < cum) return i;
        }
        return last; // rounding left u at or above the last cumulative sum
    }

    /** The highest logit's id; the lowest such id on ties. */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
