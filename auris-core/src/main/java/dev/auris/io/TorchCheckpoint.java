package dev.auris.io;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.GenericDict;
import org.bytedeco.pytorch.GenericDictIterator;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A PyTorch checkpoint ({@code torch.save}'s zip archive: {@code data.pkl} + one record per storage) read with
 * libtorch's own unpickler ({@code torch::pickle_load}, the reader behind {@code torch.jit} archives): it
 * builds tensors, dicts, lists and tuples and runs no code. The tensors are a dict of name → tensor,
 * optionally under a key of the top-level dict (fairseq vocoders: {@code "generator"}; openai-whisper:
 * {@code "model_state_dict"}); the scalars of the other top-level entries are kept as {@link #metadata()}
 * (openai-whisper's {@code "dims"}: {@code dims.n_audio_head} → 20). Files over 2 GB (whisper's large-v3.pt is
 * 3 GB) are copied into native memory in slices, never into one Java array.
 *
 * <p>libtorch's unpickler reads {@code collections.OrderedDict} as None (it expects one only as a tensor's
 * empty backward hooks: {@code unpickler.cpp} {@code readGlobal}), so a {@code model.state_dict()} saved as is
 * by Python fails; that case is reported with the one-line conversion that makes it readable.
 *
 * <p>{@code try (var ckpt = TorchCheckpoint.open(file, "generator")) { Tensor w = ckpt.tensor("dict.weight", DType.F32, 1000, 128); }}
 */
public final class TorchCheckpoint implements WeightSource, AutoCloseable {
    private final Path file;
    private final Map<String, Tensor> tensors;
    private final Map<String, Object> metadata;

    private TorchCheckpoint(Path file, Map<String, Tensor> tensors, Map<String, Object> metadata) {
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** The tensors of {@code file}: the top-level dict, or its entry {@code key} when key is not null. */
    public static TorchCheckpoint open(Path file, String key) {
        return open(file, key, SLICE, n -> true);
    }

    /** Only the tensors whose names {@code keep} accepts are kept (openai-whisper's .pt: the encoder's, not the text decoder's). */
    public static TorchCheckpoint open(Path file, String key, java.util.function.Predicate<String> keep) {
        return open(file, key, SLICE, keep);
    }

    /** Bytes per copy into native memory; a file larger than one slice is never held in a Java array. */
    static final int SLICE = 1 << 28;

    /** As {@link #open(Path, String)}, copying in slices of {@code slice} bytes (tests use small ones). */
    static TorchCheckpoint open(Path file, String key, int slice) {
        return open(file, key, slice, n -> true);
    }

    private static TorchCheckpoint open(Path file, String key, int slice, java.util.function.Predicate<String> keep) {
        Torch.init();
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, Object> meta = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope()) {
            ByteVector bytes = read(file, slice);
            if (bytes.size() < 4 || bytes.get(0) != 'P' || bytes.get(1) != 'K') {
                throw new CheckpointException(file.toString(), null, "is not a zip archive (torch.save's format since PyTorch 1.6)",
                        "re-save it with a recent PyTorch: torch.save(torch.load(f), f2)");
            }
            IValue root;
            try {
                root = torch.pickle_load(bytes);
            } catch (RuntimeException e) {
                String msg = e.getMessage() == null ? "" : e.getMessage();
                if (msg.contains("Expected GenericDict but got None")) {
                    throw new CheckpointException(file.toString(), null,
                            "holds an OrderedDict (a state_dict() saved as is), which libtorch's unpickler reads as None",
                            "convert it once with PyTorch: c = torch.load(f, map_location='cpu'); torch.save({k: dict(v) if isinstance(v, dict) else v for k, v in c.items()}, f2)");
                }
                throw new CheckpointException(file + ": libtorch cannot unpickle it: " + msg.lines().findFirst().orElse(""), e);
            }
            GenericDict dict = dict(file, root, "the top level");
            scalars(dict, "", meta, 2);
            if (key != null) {
                IValue k = new IValue(key);
                if (!dict.contains(k)) {
                    throw new CheckpointException(file.toString(), null, "has no '" + key + "' entry (keys: " + keys(dict) + ")",
                            "point at the checkpoint the config belongs to (fairseq vocoders keep the generator under 'generator')");
                }
                dict = dict(file, dict.at(k), "'" + key + "'");
            }
            GenericDictIterator it = dict.begin();
            for (long i = 0; i < dict.size(); i++, it = it.increment()) {
                IValue k = it.access().key(), v = it.access().value();
                if (!k.isString() || !v.isTensor() || !keep.test(k.toStringRef().getString())) continue;   // e.g. optimizer step counters
                out.put(k.toStringRef().getString(), Torch.own(v.toTensor().contiguous()));
            }
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
        return new TorchCheckpoint(file, out, Collections.unmodifiableMap(meta));
    }

    /** The file's bytes in a std::vector&lt;char&gt;, copied in slices of {@code slice} bytes (no Java array over 2 GB). */
    private static ByteVector read(Path file, int slice) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            if (size <= slice) {
                ByteBuffer b = ByteBuffer.allocate((int) size);
                while (b.hasRemaining() && ch.read(b) >= 0) { }
                return vector(b.array());
            }
            ByteVector v = new ByteVector(size);
            long data = new LongPointer(v).get(0);             // libstdc++: the vector's first word is its begin pointer
            ByteBuffer buf = ByteBuffer.allocateDirect(slice);
            for (long pos = 0; pos < size; ) {
                buf.clear();
                int n = ch.read(buf, pos);
                if (n < 0) throw new IOException("file shrank while reading");
                buf.flip();                                    // the pointer starts at the buffer's position
                final long at = data + pos;
                Pointer.memcpy(new Pointer() { { address = at; } }, new BytePointer(buf), n);
                pos += n;
            }
            return v;
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file.toString(), null, "file not found", "check the checkpoint path");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Int, float, bool and string entries of {@code d} (and of its dict entries, {@code depth} levels down) as "a.b" → value. */
    private static void scalars(GenericDict d, String prefix, Map<String, Object> out, int depth) {
        GenericDictIterator it = d.begin();
        for (long i = 0; i < d.size(); i++, it = it.increment()) {
            IValue k = it.access().key(), v = it.access().value();
            if (!k.isString()) continue;
            String name = prefix + k.toStringRef().getString();
            if (v.isInt()) out.put(name, v.toInt());
            else if (v.isDouble()) out.put(name, v.toDouble());
            else if (v.isBool()) out.put(name, v.toBool());
            else if (v.isString()) out.put(name, v.toStringRef().getString());
            else if (v.isGenericDict() && depth > 1) scalars(v.toGenericDict(), name + ".", out, depth - 1);
        }
    }

    /** The bytes in a std::vector&lt;char&gt;: one memcpy into its buffer, or element by element if its layout is not the expected one. */
    private static ByteVector vector(byte[] bytes) {
        ByteVector v = new ByteVector(bytes.length);
        long data = new LongPointer(v).get(0);                  // libstdc++: the vector's first word is its begin pointer
        Pointer dst = new Pointer() { { address = data; } };
        if (bytes.length > 0 && data != 0) {
            Pointer.memcpy(dst, new BytePointer(bytes), bytes.length);
            if (v.get(0) == bytes[0] && v.get(bytes.length - 1) == bytes[bytes.length - 1]) return v;
        }
        return new ByteVector(bytes);
    }

    private static GenericDict dict(Path file, IValue v, String what) {
        if (!v.isGenericDict()) {
            throw new CheckpointException(file.toString(), null, what + " is a " + v.tagKind().getString() + ", not a dict of tensors",
                    "save the weights as a dict: torch.save({'generator': model.state_dict()}, f)");
        }
        return v.toGenericDict();
    }

    private static String keys(GenericDict d) {
        StringBuilder sb = new StringBuilder();
        GenericDictIterator it = d.begin();
        for (long i = 0; i < d.size(); i++, it = it.increment()) {
            IValue k = it.access().key();
            sb.append(i == 0 ? "" : ", ").append(k.isString() ? k.toStringRef().getString() : k.tagKind().getString());
        }
        return sb.toString();
    }

    public Path file() { return file; }

    /** Scalars beside the tensors, by dotted key (openai-whisper: {@code dims.n_mels} → 128L). */
    public Map<String, Object> metadata() { return metadata; }

    public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }

    @Override
    public boolean contains(String name) { return tensors.containsKey(name); }

    /** The shape of tensor {@code name} as stored. */
    public long[] shape(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(file.toString(), name, "missing from the checkpoint", "check the tensor name");
        return Torch.shape(t);
    }

    /** The tensor {@code name}, checked to have {@code shape}, as {@code dtype} (a new tensor in the caller's scope). */
    @Override
    public Tensor tensor(String name, DType dtype, long... shape) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(file.toString(), name, "missing from the checkpoint (" + tensors.size() + " tensors present)",
                    "check that config.json belongs to this checkpoint");
        }
        long[] have = Torch.shape(t);
        if (!Arrays.equals(have, shape)) {
            throw new CheckpointException(file.toString(), name, "has shape " + Arrays.toString(have) + " but the configuration implies " + Arrays.toString(shape),
                    "the weights do not match config.json: use the config.json that came with this checkpoint");
        }
        if (!Torch.dtype(t.scalar_type()).isFloatingPoint()) {
            throw new CheckpointException(file.toString(), name, "has dtype " + Torch.dtype(t.scalar_type()) + ", a float was expected", "use a float checkpoint");
        }
        return t.to(Torch.scalarType(dtype), false, true, new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
        tensors.clear();
    }
}
