package dev.auris.train;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.util.List;
import java.util.Optional;

/**
 * Data-parallel training on libtorch's c10d: a {@link TCPStore} for rendezvous and a
 * {@link ProcessGroupGloo} (CPU; NCCL would take its place on GPUs) for collectives, configured by
 * torchrun's environment variables {@code MASTER_ADDR}, {@code MASTER_PORT}, {@code RANK}, {@code WORLD_SIZE}.
 * Every rank draws the same global micro-batch and takes its slice; gradients are summed across ranks
 * with losses normalised by the global token count, so N processes compute the update of one process with
 * the same global batch: exactly that of one process computing the same slices ({@code Trainer.asRanks}),
 * and up to float32 rounding that of one computing the whole batch at once (its kernels sum over the batch
 * in another order).
 */
public final class DataParallel implements AutoCloseable {
    private final int rank, world;
    private final TCPStore store;
    private final ProcessGroupGloo group;

    private DataParallel(int rank, int world, TCPStore store, ProcessGroupGloo group) {
        this.rank = rank;
        this.world = world;
        this.store = store;
        this.group = group;
    }

    /** The process group the environment asks for, or empty when WORLD_SIZE is unset or 1. */
    public static Optional<DataParallel> fromEnvironment() {
        String ws = System.getenv("WORLD_SIZE");
        if (ws == null || ws.isBlank() || Integer.parseInt(ws.trim()) <= 1) return Optional.empty();
        int world = Integer.parseInt(ws.trim());
        int rank = Integer.parseInt(require("RANK"));
        String addr = require("MASTER_ADDR");
        int port = Integer.parseInt(require("MASTER_PORT"));
        if (rank < 0 || rank >= world) throw new IllegalArgumentException("RANK " + rank + " is outside 0.." + (world - 1));
        Torch.init();
        TCPStoreOptions opts = new TCPStoreOptions();
        opts.port((short) port).isServer(rank == 0).numWorkers(new SizeTPointer(1).put(world)).waitWorkers(true)
                .timeout(new org.bytedeco.javacpp.chrono.Milliseconds(120_000));
        TCPStore store = new TCPStore(addr, opts);
        ProcessGroupGloo.Options go = ProcessGroupGloo.Options.create();
        go.devices(new GlooDeviceVector(ProcessGroupGloo.createDeviceForHostname(addr)));
        ProcessGroupGloo group = new ProcessGroupGloo(store, rank, world, go);
        return Optional.of(new DataParallel(rank, world, store, group));
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) throw new IllegalArgumentException(name + " must be set for data-parallel training (WORLD_SIZE > 1)");
        return v.trim();
    }

    public int rank() { return rank; }

    public int world() { return world; }

    /** This rank's slice [from, to) of a global batch of n examples. */
    public int[] slice(int n) {
        return slice(n, rank, world);
    }

    /** Rank {@code rank}'s slice [from, to) of a global batch of n examples split over {@code world} ranks. */
    static int[] slice(int n, int rank, int world) {
        if (n % world != 0) throw new IllegalArgumentException("the global batch of " + n + " examples must divide by the " + world + " processes: set batch_size to a multiple");
        return new int[]{rank * n / world, (rank + 1) * n / world};
    }

    /** Sums the gradients of {@code params} over all ranks (one flat buffer, one collective). */
    public void sumGradients(List<Tensor> params) {
        Tensor[] grads = params.stream().map(p -> {
            Tensor g = p.grad();
            return g.defined() ? g.reshape(-1) : torch.zeros(new long[]{p.numel()}, new TensorOptions(p.scalar_type()));
        }).toArray(Tensor[]::new);
        Tensor flat = torch.cat(new TensorVector(grads), 0);
        group.allreduce(new TensorVector(flat))._wait();
        long off = 0;
        for (Tensor p : params) {
            long n = p.numel();
            Tensor g = p.grad();
            if (g.defined()) g.copy_(flat.narrow(0, off, n).view(Torch.shape(p)));
            off += n;
        }
    }

    /** Sums a scalar over ranks (for logging the global loss). */
    public double sum(double v) {
        Tensor t = Torch.fromFloats(new float[]{(float) v}, 1);
        group.allreduce(new TensorVector(t))._wait();
        return Torch.toFloats(t)[0];
    }

    /** Makes every rank start from rank 0's parameters. */
    public void broadcast(List<Tensor> params) {
        try (var guard = new NoGradGuard()) {
            for (Tensor p : params) group.broadcast(new TensorVector(p))._wait();
        }
    }

    /** Waits until every rank gets here. */
    public void barrier() {
        group.barrier()._wait();
    }

    @Override
    public void close() {
        group.close();
        store.close();
    }
}
