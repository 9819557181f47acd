package dev.auris.train.eval;

import dev.auris.core.Torch;
import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.Turn;
import dev.auris.train.data.Example;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/** What the measurements share: greedy decoding, BOS-prefixed token ids, a text's negative log-likelihood, the examples' speech. */
final class Greedy {
    private Greedy() {}

    /** The first {@code limit} examples (all with 0). */
    static List<Example> take(List<Example> l, int limit) {
        return limit > 0 && l.size() > limit ? l.subList(0, limit) : l;
    }

    static Turn.Speech speech(Example e) {
        for (Turn t : e.prompt()) for (Turn.Part p : t.parts()) if (p instanceof Turn.Speech s) return s;
        throw new IllegalArgumentException("line " + e.line() + " has no audio");
    }

    /** A clip's identity across manifests: its length and the hash of its samples. */
    static String clipKey(Example e) {
        return speech(e).clip().samples().length + ":" + Arrays.hashCode(speech(e).clip().samples());
    }

    /** The LLM's greedy first n tokens after ids. */
    static int[] continuation(Llm llm, int[] ids, int n, Set<Integer> eos) {
        try (Session s = llm.newSession(); PointerScope scope = new PointerScope()) {
            return tokens(s.prefill(ids), s::step, n, eos);
        }
    }

    /** BOS and the text's tokens. */
    static int[] withBos(SpeechLlm model, String text) {
        int[] p = model.text().tokenizer().encode(text);
        int[] ids = new int[p.length + 1];
        ids[0] = model.text().tokenizer().bosId().orElse(1);
        System.arraycopy(p, 0, ids, 1, p.length);
        return ids;
    }

    /** Up to n argmax tokens from {@code logits} on, each fed back through {@code step}; stops at an end token. */
    static int[] tokens(Tensor logits, IntFunction<Tensor> step, int n, Set<Integer> eos) {
        int[] out = new int[n];
        int k = 0;
        float[] l = Torch.toFloats(logits);
        while (k < n) {
            int next = dev.auris.sample.Sampler.argmax(l);
            if (eos.contains(next)) break;
            out[k++] = next;
            if (k == n) break;
            try (PointerScope scope = new PointerScope()) {
                l = Torch.toFloats(step.apply(next));
            }
        }
        return Arrays.copyOf(out, k);
    }

    /** Summed next-token negative log-likelihood of ids[1..] given the prefix. */
    static double nll(Llm llm, int[] ids) {
        try (PointerScope scope = new PointerScope()) {
            Tensor h = llm.forward(llm.embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, null);
            Tensor lp = torch.log_softmax(llm.logits(h).select(0, 0).narrow(0, 0, ids.length - 1), -1);
            Tensor tgt = Torch.fromInts(Arrays.copyOfRange(ids, 1, ids.length)).unsqueeze(1);
            return -Torch.toFloats(lp.gather(1, tgt).sum())[0];
        }
    }
}
