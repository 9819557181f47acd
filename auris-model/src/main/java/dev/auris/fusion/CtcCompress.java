package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.core.Torch;
import dev.auris.nn.Linear;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CTC compression into the LLM's own embedding space (token mapping with soft posteriors, as Speech-LLaMA,
 * Wu et al. 2023, and Gaido et al. 2021 compress speech by CTC): a CTC head over the LLM's vocabulary plus
 * a blank scores every encoder frame; frames whose blank probability reaches {@code blank_threshold} (0.5
 * by default: about the greedy path; higher keeps weak token spikes for the LLM to weigh) are dropped, and
 * each run of kept frames with the same best token becomes one segment; a segment enters the LLM as its
 * mean posterior over the vocabulary times the LLM's input embedding matrix. When the encoder is sure,
 * that is exactly the embedding row of the token it heard, so speech reaches the LLM as (nearly) the text
 * typed, one position per token. {@code temperature} below 1 sharpens the posteriors towards the best
 * token's own row. The head trains (gradients flow through the posteriors); the segmentation is a
 * discrete choice and passes no gradient. A clip with no kept frame yields one segment: its least-blank
 * frame.
 *
 * <p>How a clip is heard at inference (the soft segments, or the model's own transcript by CTC beam search)
 * is {@code dev.auris.hearing}'s to decide: this connector is the CTC head and the soft path.
 *
 * <p>Initialised from the CTC head of an Auris-pretrained encoder ({@code ctc_head.safetensors}: [V+1, De],
 * blank last) when composing. Shapes: B batch, T frames, De encoder width, V LLM vocabulary, S segments.
 */
public record CtcCompress(Linear head, int vocab, double temperature, double blankThreshold, Map<String, Tensor> parameters) implements Connector {
    public CtcCompress {
        if (!(temperature > 0)) throw new IllegalArgumentException("ctc-compress: temperature must be positive (auris.json: connector.temperature)");
        if (!(blankThreshold > 0 && blankThreshold <= 1)) {
            throw new IllegalArgumentException("ctc-compress: blank_threshold must be in (0, 1] (auris.json: connector.blank_threshold)");
        }
    }

    public static CtcCompress create(int encoderDim, int vocab, double temperature, double blankThreshold, Params p) {
        return new CtcCompress(new Linear(p.get("head.weight", vocab + 1, encoderDim), p.get("head.bias", vocab + 1)), vocab, temperature, blankThreshold, p.all());
    }

    /** The CTC head's logits [T, V+1] (blank last) of encoder features [T, De]. */
    public Tensor logits(Tensor features) {
        return head.apply(features.to(head.weight().scalar_type()));
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokenTable) {
        long b = features.size(0);
        Tensor[] rows = new Tensor[(int) b];
        Tensor table = tokenTable;                                                      // [V, D]
        if (table.size(0) < vocab) {
            throw new IllegalArgumentException("ctc-compress: the CTC head scores " + vocab + " tokens but the LLM has " + table.size(0));
        }
        for (int i = 0; i < b; i++) {
            Tensor logits = head.apply(features.select(0, i).to(head.weight().scalar_type())); // [T, V+1]
            Tensor probs = torch.softmax(logits.to(torch.ScalarType.Float), -1);               // [T, V+1]: what segments
            Tensor post = temperature == 1 ? probs                                              // [T, V+1]: what enters
                    : torch.softmax(logits.to(torch.ScalarType.Float).div(Torch.scalar(temperature)), -1);
            float[] blank = Torch.toFloats(probs.select(1, vocab));                             // [T]
            long[] best = Torch.toLongs(torch.argmax(logits.narrow(1, 0, vocab), new org.bytedeco.pytorch.LongOptional(-1), false)); // [T], best token
            Tensor avg = segments(best, blank);                                                // [S, T]
            Tensor tokens = avg.matmul(post.narrow(1, 0, vocab));                              // [S, V]
            tokens = tokens.div(tokens.sum(new long[]{1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()).clamp_min(Torch.scalar(1e-12f)));
            rows[i] = tokens.to(table.scalar_type()).matmul(table.narrow(0, 0, vocab));        // [S, D]
        }
        return Connector.padStack(rows);                                                       // [B, S, D]
    }

    /**
     * The averaging matrix [S, T] of the CTC segments: frames whose blank probability is below the
     * threshold are kept, and a run of kept frames with the same best token is one segment.
     */
    Tensor segments(long[] best, float[] blank) {
        List<int[]> segs = new ArrayList<>();
        for (int t = 0; t < best.length; t++) {
            if (blank[t] >= blankThreshold) continue;
            if (t > 0 && best[t - 1] == best[t] && !segs.isEmpty() && segs.getLast()[1] == t) segs.getLast()[1] = t + 1;
            else segs.add(new int[]{t, t + 1});
        }
        if (segs.isEmpty()) {
            int least = 0;
            for (int t = 1; t < blank.length; t++) if (blank[t] < blank[least]) least = t;
            segs.add(new int[]{least, least + 1});
        }
        float[] m = new float[segs.size() * best.length];
        for (int s = 0; s < segs.size(); s++) {
            int[] g = segs.get(s);
            for (int t = g[0]; t < g[1]; t++) m[s * best.length + t] = 1f / (g[1] - g[0]);
        }
        return Torch.fromFloats(m, segs.size(), best.length);
    }

    @Override
    public ConnectorSpec spec() {
        return new ConnectorSpec.CtcCompress(temperature, blankThreshold);
    }
}
