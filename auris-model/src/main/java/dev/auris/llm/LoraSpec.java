package dev.auris.llm;

import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.io.WeightSource;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.List;

/**
 * Which linear layers of the LLM get LoRA adapters and how: rank r, alpha (scale = alpha / r), dropout,
 * target module names ({@code q_proj k_proj v_proj o_proj gate_proj up_proj down_proj}). Adapter tensors
 * use PEFT's names: {@code model.layers.N.self_attn.q_proj.lora_A.weight} [r, in] and {@code lora_B.weight} [out, r].
 */
public record LoraSpec(int rank, double alpha, double dropout, List<String> targets) {
    public static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public LoraSpec {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        targets = List.copyOf(targets);
        for (String t : targets) if (!ALL.contains(t)) throw new IllegalArgumentException("unknown LoRA target '" + t + "': use " + ALL);
        if (targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module");
    }

    public double scale() { return alpha / rank; }

    /** New adapters: A ~ N(0, 1/in) (PEFT uses Kaiming-uniform of the same scale), B = 0, so the model is unchanged. */
    public static WeightSource init(long seed) {
        torch.manual_seed(seed);
        return new WeightSource() {
            @Override
            public Tensor tensor(String name, DType dtype, long... shape) {
                Tensor t = name.endsWith("lora_B.weight") ? torch.zeros(shape, Torch.options(DType.F32))
                        : torch.randn(shape, Torch.options(DType.F32)).mul_(Torch.scalar(1 / Math.sqrt(shape[1])));
                return dtype == DType.F32 ? t : t.to(Torch.scalarType(dtype));
            }

            @Override
            public boolean contains(String name) { return true; }
        };
    }
}
