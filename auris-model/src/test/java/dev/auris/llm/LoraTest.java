package dev.auris.llm;

import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** LoRA: merged equals unmerged within 1e-5; a fresh adapter and the base model give identical logits. */
class LoraTest {
    static final int[] IDS = {42, 170, 2, 202, 22, 56, 134, 109};

    static float[] logits(Llm llm) {
        Tensor h = llm.forward(llm.embed(Torch.fromInts(IDS).unsqueeze(0)), 0, null, null, null);
        return Torch.toFloats(llm.logits(h));
    }

    @Test
    void mergedEqualsUnmergedAndAdapterOffEqualsBase() {
        try (PointerScope scope = new PointerScope(); Llm base = Llm.load(Golden.dir("qwen2-tiny"), DType.F32)) {
            float[] baseLogits = logits(base);
            LoraSpec spec = new LoraSpec(4, 8, 0.0, LoraSpec.ALL);
            try (Llm fresh = base.withLora(spec, LoraSpec.init(3), DType.F32)) {
                assertEquals(2 * 7 * 2, fresh.loraTensors().size());
                assertArrayEquals(baseLogits, logits(fresh), 0f, "B = 0: a new adapter changes nothing");
                // as if trained: give B values
                fresh.loraTensors().forEach((n, t) -> { if (n.endsWith("lora_B.weight")) t.copy_(org.bytedeco.pytorch.global.torch.randn(Torch.shape(t)).mul(Torch.scalar(0.05))); });
                float[] adapted = logits(fresh);
                double moved = Golden.maxAbsDiff(baseLogits, adapted);
                assertTrue(moved > 1e-3, "the adapter must change the logits, moved " + moved);
                try (Llm merged = fresh.merged()) {
                    assertTrue(merged.loraTensors().isEmpty());
                    assertEquals(0, Golden.maxAbsDiff(adapted, logits(merged)), 1e-5);
                }
                assertArrayEquals(baseLogits, logits(base), 0f, "adapter off (the base model) is untouched");
            }
        }
    }

    @Test
    void targetsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new LoraSpec(4, 8, 0, List.of("qkv")));
        assertThrows(IllegalArgumentException.class, () -> new LoraSpec(0, 8, 0, LoraSpec.ALL));
    }
}
