package dev.auris.train.voice;

import dev.auris.audio.AudioClip;
import dev.auris.features.LogMel;
import dev.auris.pipeline.SpeechLlm;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The frame features units are clustered on, 50 frames a second (one per 320 samples, one vocoder frame):
 * log-mel ({@link Mel}) or the speech LLM's own encoder states ({@link Encoder}, 25 a second for a hop-320
 * encoder, each repeated twice). Frame j of either covers samples [320 j, 320 (j+1)) up to the STFT's centring.
 */
public sealed interface UnitFeatures {
    /** The features [F, D] of a 16 kHz clip (F = samples / 320), float32, in the caller's scope. */
    Tensor frames(AudioClip clip);

    /** What units.json records: "mel" or "encoder". */
    String name();

    record Mel(LogMel mel) implements UnitFeatures {
        @Override
        public Tensor frames(AudioClip clip) {
            return mel.compute(clip).t().contiguous();                                    // [F, M]
        }

        @Override
        public String name() { return "mel"; }
    }

    /** The model's encoder states; a 25-per-second encoder's states are repeated to 50 a second and cut to F frames. */
    record Encoder(SpeechLlm model) implements UnitFeatures {
        @Override
        public Tensor frames(AudioClip clip) {
            try (var guard = new NoGradGuard()) {
                Tensor h = model.encodeAudio(clip).lastHidden().select(0, 0).to(torch.ScalarType.Float);   // [T, De]
                long f = clip.samples().length / 320;
                long repeat = Math.max(1, Math.round((double) f / Math.max(1, h.size(0))));
                Tensor r = torch.repeat_interleave(h, repeat, new LongOptional(0), new LongOptional());    // [~F, De]
                if (r.size(0) < f) r = torch.cat(new org.bytedeco.pytorch.TensorVector(r, r.narrow(0, r.size(0) - 1, 1).expand(f - r.size(0), r.size(1))), 0);
                return r.narrow(0, 0, f).contiguous();
            }
        }

        @Override
        public String name() { return "encoder"; }
    }

    static UnitFeatures of(VoiceSpec.UnitSpec u, SpeechLlm model) {
        return switch (u.features()) {
            case "mel" -> new Mel(LogMel.of(u.nMels(), u.hopLength()));
            case "encoder" -> new Encoder(model);
            default -> throw new IllegalArgumentException("unit features " + u.features());
        };
    }

}
