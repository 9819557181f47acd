package dev.auris.core;

import org.bytedeco.pytorch.global.torch;

/**
 * libtorch's CPU autocast for a block (mixed precision, as {@code torch.autocast("cpu", torch.bfloat16)}):
 * matmuls, linear layers and convolutions run in bf16 — on AMX where the CPU has it, about twice as fast
 * as float32 for a training step of a small encoder — while softmax, layer norm and losses stay float32
 * and the weights stay float32 masters. The cast-weight cache is off, so an optimizer step between two
 * blocks is always seen. Per thread; nests (the previous state is restored on close).
 *
 * <pre>try (var ac = Autocast.bf16()) { loss = model.forward(x); }  loss.backward();</pre>
 */
public final class Autocast implements AutoCloseable {
    private final boolean wasEnabled;
    private final torch.ScalarType wasDtype;

    private Autocast(torch.ScalarType dtype) {
        Torch.init();
        wasEnabled = torch.is_autocast_enabled(torch.DeviceType.CPU);
        wasDtype = torch.get_autocast_dtype(torch.DeviceType.CPU);
        torch.set_autocast_cache_enabled(false);
        torch.set_autocast_dtype(torch.DeviceType.CPU, dtype);
        torch.set_autocast_enabled(torch.DeviceType.CPU, true);
    }

    public static Autocast bf16() { return new Autocast(torch.ScalarType.BFloat16); }

    /** bf16 autocast when {@code on}, else a no-op block. */
    public static Autocast bf16If(boolean on) { return on ? bf16() : null; } // try-with-resources skips null

    @Override
    public void close() {
        torch.set_autocast_enabled(torch.DeviceType.CPU, wasEnabled);
        torch.set_autocast_dtype(torch.DeviceType.CPU, wasDtype);
    }
}
