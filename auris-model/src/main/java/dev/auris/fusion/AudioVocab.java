package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.core.Torch;
import dev.auris.units.Codebook;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;
import java.util.Set;

/**
 * Augmented token space (survey §4 step 2): K new audio tokens appended to the LLM's vocabulary. Audio
 * enters as those tokens (units of the k-means codebook, duplicates merged); their embedding rows and
 * LM-head rows are new and trainable while the LLM's own rows stay frozen, so text-only logits are
 * unchanged. Audio token j has id V + j in the extended vocabulary.
 */
public record AudioVocab(Codebook codebook, Tensor embedRows, Tensor headRows, Map<String, Tensor> parameters) implements Connector {
    public static AudioVocab create(int units, int encoderDim, int llmDim, Params p) {
        if (units <= 0) throw new IllegalArgumentException("audio-vocab: units must be positive (auris.json: connector.units)");
        return new AudioVocab(new Codebook(p.get("codebook", units, encoderDim)), p.get("embed_tokens", units, llmDim), p.get("lm_head", units, llmDim), p.all());
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokens) {
        long b = features.size(0);
        Tensor[] rows = new Tensor[(int) b];
        for (int i = 0; i < b; i++) {
            long[] units = codebook.units(features.select(0, i));
            rows[i] = torch.embedding(embedRows, Torch.fromLongs(units, units.length)).to(tokens.scalar_type()); // [T_i, D]
        }
        return Connector.padStack(rows);                                     // [B, T', D]
    }

    /** Logits of the audio tokens [..., K] for hidden states [..., D] (float32). */
    @Override
    public Tensor extraLogits(Tensor hidden) {
        return torch.linear(hidden, headRows.to(hidden.scalar_type())).to(torch.ScalarType.Float);
    }

    @Override
    public Set<String> fixed() { return Set.of("codebook"); }

    @Override
    public boolean discrete() { return true; }

    @Override
    public ConnectorSpec spec() { return new ConnectorSpec.AudioVocab(codebook.size()); }
}
