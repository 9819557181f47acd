package dev.auris.encoder;

import dev.auris.core.DType;
import dev.auris.io.CheckpointException;
import dev.auris.io.TorchCheckpoint;
import dev.auris.io.WeightSource;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * openai-whisper's own checkpoint ({@code whisper.load_model("large-v3")}'s {@code large-v3.pt}: torch.save of
 * {@code {"dims": ModelDimensions, "model_state_dict": ...}}), read by libtorch's unpickler
 * ({@link TorchCheckpoint}) and seen under the Hugging Face names {@link WhisperEncoder} loads
 * ({@code encoder.blocks.0.attn.query.weight} → {@code layers.0.self_attn.q_proj.weight}; openai's
 * {@code model.py} and HF's {@code modeling_whisper.py} compute the same function: q and k each scaled by
 * head_dim^-0.25 is HF's q scaled by head_dim^-0.5; the FFN is 4·d). The text decoder's tensors are not read.
 *
 * <p>Whisper's released files hold {@code model.state_dict()} as saved, an {@code OrderedDict}, which libtorch's
 * unpickler reads as None: {@link TorchCheckpoint} then names the file and gives the one-line conversion; a
 * Hugging Face Whisper directory (e.g. openai/whisper-large-v3) is the other way in.
 */
final class OpenAiWhisper {
    /** HF name piece → openai-whisper name piece, applied in order. */
    private static final List<String[]> NAMES = List.of(
            new String[]{"layers.", "blocks."}, new String[]{"self_attn_layer_norm", "attn_ln"},
            new String[]{"self_attn.q_proj", "attn.query"}, new String[]{"self_attn.k_proj", "attn.key"},
            new String[]{"self_attn.v_proj", "attn.value"}, new String[]{"self_attn.out_proj", "attn.out"},
            new String[]{"final_layer_norm", "mlp_ln"}, new String[]{"fc1", "mlp.0"}, new String[]{"fc2", "mlp.2"},
            new String[]{"layer_norm", "ln_post"}, new String[]{"embed_positions.weight", "positional_embedding"});

    private OpenAiWhisper() {}

    static WhisperEncoder load(Path pt, DType dtype) {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(pt, "model_state_dict", n -> n.startsWith("encoder."))) {
            return WhisperEncoder.load(config(pt, ckpt.metadata()), renamed(ckpt), dtype);
        } catch (CheckpointException e) {
            if (e.getMessage().contains("OrderedDict")) {
                throw new CheckpointException(e.getMessage() + "; or use the Hugging Face Whisper directory of the same model "
                        + "(e.g. openai/whisper-large-v3) as the encoder (auris --encoder DIR)", e);
            }
            throw e;
        }
    }

    /** {@code dims} → the encoder's config (n_mels, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer). */
    static WhisperConfig config(Path pt, Map<String, Object> meta) {
        String[] keys = {"dims.n_mels", "dims.n_audio_ctx", "dims.n_audio_state", "dims.n_audio_head", "dims.n_audio_layer"};
        int[] v = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            if (!(meta.get(keys[i]) instanceof Long n)) {
                throw new CheckpointException(pt.toString(), null, "has no " + keys[i] + " (not an openai-whisper checkpoint: it keeps the model's "
                        + "dims beside model_state_dict)", "point at whisper.load_model's .pt file, or at a Hugging Face Whisper directory");
            }
            v[i] = Math.toIntExact(n);
        }
        int d = v[2];
        return new WhisperConfig(d, v[4], v[3], 4 * d, v[0], v[1], "gelu");
    }

    /** The checkpoint under HF names with the {@code encoder.} prefix {@link WhisperEncoder#load(WhisperConfig, WeightSource, DType)} accepts. */
    private static WeightSource renamed(TorchCheckpoint ckpt) {
        return new WeightSource() {
            @Override
            public Tensor tensor(String name, DType dtype, long... shape) {
                return ckpt.tensor(openai(name), dtype, shape);
            }

            @Override
            public boolean contains(String name) { return ckpt.contains(openai(name)); }
        };
    }

    /** {@code encoder.layers.0.fc1.weight} → {@code encoder.blocks.0.mlp.0.weight}. */
    static String openai(String hf) {
        String n = hf;
        for (String[] m : NAMES) n = n.replace(m[0], m[1]);
        return n;
    }
}
