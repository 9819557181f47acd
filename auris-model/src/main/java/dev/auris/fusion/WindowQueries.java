package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.nn.Linear;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * Attention over the audio (survey §4 step 1): a window-level Q-Former as in SALMONN. The encoder output
 * is cut into windows of {@code window} positions; {@code queries} learned query vectors cross-attend to
 * each window (pre-LN cross-attention block + MLP), so the output length follows the audio length:
 * ⌈T / window⌉ × queries positions.
 */
public record WindowQueries(int window, int heads, Tensor queries, Tensor lnQW, Tensor lnQB, Tensor lnKvW, Tensor lnKvB,
                            Linear qProj, Linear kProj, Linear vProj, Linear oProj, Tensor lnFfnW, Tensor lnFfnB, Linear fc1, Linear fc2,
                            Map<String, Tensor> parameters) implements FeatureSelector {

    public static WindowQueries create(int dim, int window, int numQueries, int heads, Params p) {
        if (window <= 0 || numQueries <= 0) throw new IllegalArgumentException("window-queries: window and queries must be positive (auris.json: selector)");
        if (heads <= 0 || dim % heads != 0) throw new IllegalArgumentException("window-queries: heads (" + heads + ") must divide the encoder width " + dim + " (auris.json: selector.heads)");
        int f = 2 * dim;
        return new WindowQueries(window, heads, p.get("queries", numQueries, dim),
                p.get("ln_q.weight", dim), p.get("ln_q.bias", dim), p.get("ln_kv.weight", dim), p.get("ln_kv.bias", dim),
                new Linear(p.get("q_proj.weight", dim, dim), p.get("q_proj.bias", dim)),
                new Linear(p.get("k_proj.weight", dim, dim), p.get("k_proj.bias", dim)),
                new Linear(p.get("v_proj.weight", dim, dim), p.get("v_proj.bias", dim)),
                new Linear(p.get("o_proj.weight", dim, dim), p.get("o_proj.bias", dim)),
                p.get("ln_ffn.weight", dim), p.get("ln_ffn.bias", dim),
                new Linear(p.get("fc1.weight", f, dim), p.get("fc1.bias", f)),
                new Linear(p.get("fc2.weight", dim, f), p.get("fc2.bias", dim)),
                p.all());
    }

    @Override
    public Tensor select(WhisperEncoder.Output encoded) {
        Tensor x = encoded.lastHidden();                                   // [B, T, D]
        long b = x.size(0), t = x.size(1), d = x.size(2);
        long nw = (t + window - 1) / window, padded = nw * window;
        Tensor valid = torch.ones(new long[]{b, t}, new TensorOptions(torch.ScalarType.Bool));
        if (padded > t) {
            x = torch.cat(new TensorVector(x, torch.zeros(new long[]{b, padded - t, d}, new TensorOptions(x.scalar_type()))), 1);
            valid = torch.cat(new TensorVector(valid, torch.zeros(new long[]{b, padded - t}, new TensorOptions(torch.ScalarType.Bool))), 1);
        }
        Tensor win = x.reshape(b * nw, window, d);                          // [W, w, D]
        Tensor mask = valid.reshape(b * nw, 1, 1, window);                  // [W, 1, 1, w]
        long nq = queries.size(0), hd = d / heads;
        Tensor q0 = queries.to(x.scalar_type()).unsqueeze(0).expand(new long[]{b * nw, nq, d}); // [W, nq, D]
        Tensor kv = norm(win, lnKvW, lnKvB);
        Tensor q = qProj.apply(norm(q0, lnQW, lnQB)).view(b * nw, nq, heads, hd).transpose(1, 2); // [W, h, nq, hd]
        Tensor k = kProj.apply(kv).view(b * nw, window, heads, hd).transpose(1, 2);               // [W, h, w, hd]
        Tensor v = vProj.apply(kv).view(b * nw, window, heads, hd).transpose(1, 2);
        Tensor a = dev.auris.nn.Attention.attend(q, k, v, mask, false);
        Tensor h = q0.add(oProj.apply(a.transpose(1, 2).reshape(b * nw, nq, d)));                // [W, nq, D]
        h = h.add(fc2.apply(torch.gelu(fc1.apply(norm(h, lnFfnW, lnFfnB)))));
        return h.reshape(b, nw * nq, d);                                                          // [B, nw·nq, D]
    }

    private static Tensor norm(Tensor x, Tensor w, Tensor bias) {
        return dev.auris.nn.Norms.layer(x, w, bias, 1e-5);
    }

    @Override
    public boolean needsAllLayers() { return false; }

    @Override
    public SelectorSpec spec() {
        return new SelectorSpec.WindowQueries(window, (int) queries.size(0), heads);
    }
}
