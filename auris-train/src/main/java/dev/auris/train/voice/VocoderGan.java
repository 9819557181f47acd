package dev.auris.train.voice;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.Torch;
import dev.auris.io.AtomicFiles;
import dev.auris.units.Codebook;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.*;
import java.util.function.Consumer;

/**
 * HiFi-GAN training of a unit vocoder (Kong et al. 2020; fairseq / speech-resynthesis's CodeHiFiGAN recipe)
 * on one voice's clips and their frame units: random segments of {@code segment_frames} frames, the generator
 * against the multi-period and multi-scale discriminators, each with its own AdamW (lr, betas 0.8 / 0.99,
 * weight decay 0.01 as HiFi-GAN's). A step: the discriminators' LSGAN loss on real vs. detached generated
 * segments and their update; then the generator's adversarial + feature-matching (×2) + mel L1 (×45) +
 * duration MSE (log(d + 1) of the deduplicated units of whole clips) and its update. Before
 * {@code adversarial_start} steps (or {@code adversarial_after_minutes}) only mel L1 + duration train the generator. Stops at {@code steps} or after
 * {@code max_minutes}; writes {@code model.safetensors} (fairseq names) + {@code config.json} + metrics.jsonl.
 *
 * <p>Shapes: B batch, F frames a segment, H samples a frame.
 */
public final class VocoderGan {
    /** A clip's frame units [F] and samples [≥ F·H]. */
    public record Clip(long[] frames, float[] samples) {}

    /** What the run measured. */
    public record Result(int steps, double seconds, double firstMelL1, double lastMelL1, double heldOutMelL1) {}

    private VocoderGan() {}

    public static Result train(HifiGanGenerator g, VoiceSpec.VocoderSpec s, List<Clip> train, List<Clip> held, Path out, Consumer<String> log) {
        int h = g.config().samplesPerFrame(), f = s.segmentFrames();
        List<Clip> usable = train.stream().filter(c -> c.frames().length >= f && c.samples().length >= (long) f * h).toList();
        if (usable.isEmpty()) throw new IllegalArgumentException("no training clip has " + f + " frames (" + f * h / 16000.0 + " s)");
        // oneDNN's convolution backward gave non-finite gradients for this generator (every weight before a dilated
        // ResBlock convolution NaN from the first step, with finite losses); libtorch's own kernels train it
        boolean mkldnn = torch.globalContext().userEnabledMkldnn();
        torch.globalContext().setUserEnabledMkldnn(false);
        try (HifiGanDiscriminators d = new HifiGanDiscriminators(s.discChannels(), s.seed() + 1)) {
            g.parameters().values().forEach(t -> t.requires_grad_(true));
            d.parameters().values().forEach(t -> t.requires_grad_(true));
            AdamW optG = adamW(g.parameters().values(), s.lr()), optD = adamW(d.parameters().values(), s.lr());
            SplittableRandom r = new SplittableRandom(s.seed());
            long t0 = System.nanoTime(), deadline = s.maxMinutes() <= 0 ? Long.MAX_VALUE : t0 + (long) (s.maxMinutes() * 60e9);
            StringBuilder metrics = new StringBuilder();
            double first = Double.NaN, window = 0;
            int windowN = 0, step = 0;
            for (; step < s.steps() && System.nanoTime() < deadline; step++) {
                try (PointerScope scope = new PointerScope()) {
                    long[] units = new long[s.batchSize() * f];
                    float[] audio = new float[s.batchSize() * f * h];
                    for (int b = 0; b < s.batchSize(); b++) {
                        Clip c = usable.get(r.nextInt(usable.size()));
                        int start = r.nextInt(Math.min(c.frames().length, c.samples().length / h) - f + 1);
                        System.arraycopy(c.frames(), start, units, b * f, f);
                        System.arraycopy(c.samples(), start * h, audio, b * f * h, f * h);
                    }
                    Tensor y = Torch.fromFloats(audio, s.batchSize(), 1, (long) f * h);          // [B, 1, F·H]
                    Tensor yHat = g.forward(Torch.fromLongs(units, s.batchSize(), f));           // [B, 1, F·H]
                    boolean adversarial = step >= s.adversarialStart()
                            || (s.adversarialAfterMinutes() > 0 && System.nanoTime() - t0 >= s.adversarialAfterMinutes() * 60e9);
                    double lossD = Double.NaN;
                    if (adversarial) {
                        optD.zero_grad();
                        Tensor ld = GanLosses.discriminator(d.apply(y), d.apply(yHat.detach()));
                        ld.backward();
                        optD.step();
                        lossD = Torch.toFloats(ld)[0];
                    }
                    optG.zero_grad();
                    Tensor mel = GanLosses.melL1(y, yHat), dur = durationLoss(g, usable, r, s.batchSize());
                    Tensor loss = mel.add(dur);
                    double adv = Double.NaN, fm = Double.NaN;
                    if (adversarial) {
                        List<HifiGanDiscriminators.Out> real;
                        try (var ng = new NoGradGuard()) {
                            real = d.apply(y);
                        }
                        List<HifiGanDiscriminators.Out> fake = d.apply(yHat);
                        Tensor a = GanLosses.adversarial(fake), m = GanLosses.featureMatching(real, fake);
                        adv = Torch.toFloats(a)[0];
                        fm = Torch.toFloats(m)[0];
                        loss = loss.add(a).add(m);
                    }
                    loss.backward();
                    optG.step();
                    double melL1 = Torch.toFloats(mel)[0] / GanLosses.MEL_WEIGHT;
                    if (Double.isNaN(first)) first = melL1;
                    window += melL1;
                    windowN++;
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    metrics.append(String.format(Locale.ROOT, "{\"step\": %d, \"mel_l1\": %.5f, \"dur_mse\": %.5f, \"adv\": %s, \"fm\": %s, \"loss_g\": %.5f, \"loss_d\": %s, \"elapsed_s\": %.1f}%n",
                            step + 1, melL1, Torch.toFloats(dur)[0], num(adv), num(fm), Torch.toFloats(loss)[0], num(lossD), elapsed));
                    if ((step + 1) % 50 == 0) {
                        log.accept(String.format(Locale.ROOT, "vocoder step %d: mel L1 %.4f (last 50), %.2f s/step%s", step + 1, window / windowN,
                                elapsed / (step + 1), adversarial ? String.format(Locale.ROOT, ", D %.3f", lossD) : ""));
                        window = 0;
                        windowN = 0;
                    }
                    if ((step + 1) % 500 == 0) {
                        g.save(out.resolve("model.safetensors"));
                        AtomicFiles.writeString(out.resolve("metrics.jsonl"), metrics.toString());
                    }
                }
            }
            g.parameters().values().forEach(t -> t.requires_grad_(false));
            torch.globalContext().setUserEnabledMkldnn(mkldnn);
            g.save(out.resolve("model.safetensors"));
            AtomicFiles.writeString(out.resolve("metrics.jsonl"), metrics.toString());
            double heldMel = heldOutMel(g, held, f);
            return new Result(step, (System.nanoTime() - t0) / 1e9, first, window / Math.max(1, windowN), heldMel);
        }
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "null" : String.format(Locale.ROOT, "%.5f", x);
    }

    /** MSE of predicted log-durations against log(d + 1) of the deduplicated units of {@code n} whole clips. */
    static Tensor durationLoss(HifiGanGenerator g, List<Clip> clips, SplittableRandom r, int n) {
        if (g.config().durationPredictor() == null) return GanLosses.zeros();
        Tensor loss = null;
        for (int i = 0; i < n; i++) {
            long[] fr = clips.get(r.nextInt(clips.size())).frames();
            long[] u = Codebook.dedup(fr);
            float[] logd = new float[u.length];
            int k = 0, run = 1;
            for (int j = 1; j <= fr.length; j++) {
                if (j < fr.length && fr[j] == fr[j - 1]) run++;
                else {
                    logd[k++] = (float) Math.log(run + 1);
                    run = 1;
                }
            }
            Tensor l = g.logDurations(Torch.fromLongs(u, u.length)).sub(Torch.fromFloats(logd, logd.length)).pow(Torch.scalar(2)).mean();
            loss = loss == null ? l : loss.add(l);
        }
        return loss.div(Torch.scalar(n));
    }

    /** Mean mel L1 (unweighted) of whole held-out clips resynthesized from their frame units. */
    static double heldOutMel(HifiGanGenerator g, List<Clip> held, int minFrames) {
        double sum = 0;
        int n = 0;
        try (var ng = new NoGradGuard()) {
            for (Clip c : held) {
                int fr = Math.min(c.frames().length, c.samples().length / g.config().samplesPerFrame());
                if (fr < minFrames) continue;
                try (PointerScope scope = new PointerScope()) {
                    Tensor y = Torch.fromFloats(Arrays.copyOf(c.samples(), fr * g.config().samplesPerFrame()), 1, 1, (long) fr * g.config().samplesPerFrame());
                    Tensor yHat = g.forward(Torch.fromLongs(Arrays.copyOf(c.frames(), fr), 1, fr));
                    sum += Torch.toFloats(GanLosses.melL1(y, yHat))[0] / GanLosses.MEL_WEIGHT;
                    n++;
                }
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static AdamW adamW(Collection<Tensor> params, double lr) {
        AdamWOptions o = new AdamWOptions(lr);
        //o.betas().put(new double[]{0.8, 0.99});
        o.weight_decay().put(0.01);
        return new AdamW(new TensorVector(params.toArray(Tensor[]::new)), o);
    }

    /** fairseq's vocoder config.json for the trained generator (keys CodeHiFiGanConfig.read takes). */
    public static String configJson(dev.auris.speech.CodeHiFiGanConfig c) {
        var o = new ObjectMapper().createObjectNode();
        o.put("resblock", "1");
        o.putPOJO("upsample_rates", c.upsampleRates());
        o.putPOJO("upsample_kernel_sizes", c.upsampleKernelSizes());
        o.put("upsample_initial_channel", c.upsampleInitialChannel());
        o.putPOJO("resblock_kernel_sizes", c.resblockKernelSizes());
        o.putPOJO("resblock_dilation_sizes", c.resblockDilationSizes());
        o.put("model_in_dim", c.modelInDim()).put("num_embeddings", c.numEmbeddings()).put("embedding_dim", c.embeddingDim());
        if (c.durationPredictor() != null) {
            o.putObject("dur_predictor_params").put("encoder_embed_dim", c.durationPredictor().embedDim())
                    .put("var_pred_hidden_dim", c.durationPredictor().hiddenDim()).put("var_pred_kernel_size", c.durationPredictor().kernelSize())
                    .put("var_pred_dropout", 0.5);
        }
        o.put("sampling_rate", c.samplingRate()).put("segment_size", 8000).put("num_mels", 80).put("n_fft", 1024).put("hop_size", 256).put("win_size", 1024);
        return o.toPrettyString() + "\n";
    }
}
