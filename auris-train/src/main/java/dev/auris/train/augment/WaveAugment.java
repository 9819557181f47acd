package dev.auris.train.augment;

import dev.auris.audio.AudioClip;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * On-the-fly waveform augmentation for encoder training (recipe {@code encoder.augment}): each draw of a
 * clip is left clean with probability {@code clean}, else passes through a chain of independent effects, in
 * the order a voice meets them on its way to a microphone and a phone line:
 * <ol>
 *   <li>speed perturbation (Ko et al. 2015, as Kaldi): the clip replayed at a factor of
 *       {@code 1 ± speed} in steps of 0.05, tempo and pitch together;</li>
 *   <li>reverberation with a synthetic room impulse response ({@link Room});</li>
 *   <li>additive noise ({@link Noise}) at a signal-to-noise ratio uniform in {@code snr_db} (dB);</li>
 *   <li>a telephone line: band-limited to 300–3400 Hz at 8 kHz and G.711 µ-law coded ({@link Telephone});</li>
 *   <li>a gain uniform in ±{@code gain_db} dB (then limited to [-1, 1]).</li>
 * </ol>
 * Every random choice comes from the caller's stream, so a training step's augmentation is reproducible.
 *
 * @param clean     probability that a draw is left untouched (0–1)
 * @param speed     largest relative speed change (0–0.3), 0: off
 * @param reverb    probability of reverberation; {@code rt60} its reverberation times in seconds [min, max]
 * @param noise     probability of additive noise; {@code snrDb} its signal-to-noise ratios in dB [min, max]
 * @param telephone probability of the telephone line
 * @param gainDb    largest gain change in dB, 0: off
 */
public record WaveAugment(double clean, double speed, double reverb, List<Double> rt60, double noise, List<Double> snrDb, double telephone, double gainDb) {
    /** The recipe's defaults for fields it leaves out: rt60 0.2–0.8 s, SNR 0–30 dB. */
    public WaveAugment {
        rt60 = rt60 == null ? List.of(0.2, 0.8) : List.copyOf(rt60);
        snrDb = snrDb == null ? List.of(0.0, 30.0) : List.copyOf(snrDb);
        check("clean", clean, 0, 1);
        check("speed", speed, 0, 0.3);
        check("reverb", reverb, 0, 1);
        check("noise", noise, 0, 1);
        check("telephone", telephone, 0, 1);
        check("gain_db", gainDb, 0, 40);
        range("rt60", rt60, 0.05, 3);
        range("snr_db", snrDb, -10, 60);
    }

    /** The draw of {@code clip} (16 kHz): the clip itself when left clean, else a new clip. */
    public AudioClip apply(AudioClip clip, SplittableRandom r) {
        if (clip.sampleRate() != AudioClip.SAMPLE_RATE) throw new IllegalArgumentException("augmentation takes 16 kHz clips, got " + clip.sampleRate() + " Hz");
        if (r.nextDouble() < clean) return clip;
        float[] x = clip.samples();
        if (speed > 0) {
            int steps = (int) Math.round(speed / 0.05);
            int k = steps == 0 ? 0 : r.nextInt(-steps, steps + 1);
            if (k != 0) x = new AudioClip(x, (int) Math.round(AudioClip.SAMPLE_RATE * (1 + 0.05 * k))).resample(AudioClip.SAMPLE_RATE).samples();
        }
        if (r.nextDouble() < reverb) x = Room.reverberate(x, uniform(r, rt60), r);
        if (r.nextDouble() < noise) x = Noise.add(x, uniform(r, snrDb), r);
        if (r.nextDouble() < telephone) x = Telephone.line(x);
        if (gainDb > 0) x = gain(x, (float) Math.pow(10, r.nextDouble(-gainDb, gainDb) / 20));
        return x == clip.samples() ? clip : new AudioClip(x, AudioClip.SAMPLE_RATE);
    }

    private static float[] gain(float[] x, float g) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.max(-1f, Math.min(1f, x[i] * g));
        return y;
    }

    private static double uniform(SplittableRandom r, List<Double> range) {
        return range.get(0).equals(range.get(1)) ? range.get(0) : r.nextDouble(range.get(0), range.get(1));
    }

    private static void check(String name, double v, double min, double max) {
        if (!(v >= min && v <= max)) throw new IllegalArgumentException(String.format(Locale.ROOT, "encoder.augment.%s %s must be in [%s, %s]", name, v, min, max));
    }

    private static void range(String name, List<Double> v, double min, double max) {
        if (v.size() != 2 || v.get(0) == null || v.get(1) == null || !(v.get(0) >= min && v.get(0) <= v.get(1) && v.get(1) <= max)) {
            throw new IllegalArgumentException("encoder.augment." + name + " " + v + " must be [min, max] within [" + min + ", " + max + "]");
        }
    }
}
