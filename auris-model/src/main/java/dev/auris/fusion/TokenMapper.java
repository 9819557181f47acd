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
 * Token mapping (survey §4 step 2): audio → discrete units (k-means codebook over encoder features,
 * consecutive duplicates merged) → one existing text token id per unit, so the LLM sees only text
 * tokens. The LLM's own embedding rows carry the audio; nothing here trains (gradients stop at the
 * discretisation), the LLM or its LoRA learns to read the mapped tokens.
 */
public record TokenMapper(Codebook codebook, Tensor tokenIds, Map<String, Tensor> parameters) implements Connector {
    public TokenMapper {
        if (tokenIds.dim() != 1 || tokenIds.size(0) != codebook.size()) {
            throw new IllegalArgumentException("token-mapper: " + codebook.size() + " units need " + codebook.size() + " token ids, got " + tokenIds.size(0));
        }
    }

    /** A mapper onto the last {@code units} ids below {@code reservedFrom} (by default the vocabulary's tail). */
    public static TokenMapper create(int units, int encoderDim, int vocabSize, Params p) {
        if (units <= 0 || units > vocabSize) throw new IllegalArgumentException("token-mapper: units must be in 1.." + vocabSize + " (auris.json: connector.units)");
        Tensor codebook = p.get("codebook", units, encoderDim);
        long[] ids = new long[units];
        for (int i = 0; i < units; i++) ids[i] = vocabSize - units + i;
        Tensor tokenIds = Torch.own(Torch.fromLongs(ids, units));
        var all = new java.util.LinkedHashMap<>(p.all());
        all.put("token_ids", tokenIds);
        return new TokenMapper(new Codebook(codebook), tokenIds, all);
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokens) {
        long b = features.size(0);
        Tensor[] rows = new Tensor[(int) b];
        for (int i = 0; i < b; i++) {
            long[] units = codebook.units(features.select(0, i));
            Tensor ids = tokenIds.index_select(0, Torch.fromLongs(units, units.length));
            rows[i] = torch.embedding(tokens, ids);                                        // [T_i, D]
        }
        return Connector.padStack(rows);                                     // [B, T', D]
    }

    @Override
    public Set<String> fixed() { return Set.of("codebook", "token_ids"); }

    @Override
    public boolean discrete() { return true; }

    @Override
    public ConnectorSpec spec() { return new ConnectorSpec.TokenMapper(codebook.size()); }
}
