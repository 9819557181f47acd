package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.Audio;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.AtomicFiles;
import dev.auris.io.WeightSource;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.speech.CodeHiFiGanConfig;
import dev.auris.speech.SpeechDecoder;
import dev.auris.speech.SpeechDecoderConfig;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import dev.auris.train.eval.Voice;
import dev.auris.train.voice.*;
import dev.auris.units.Codebook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.function.Function;

/**
 * A recipe's {@code voice} section ({@link VoiceSpec}) on top of an already-trained speech LLM, each step
 * skipped when its output exists (so a run resumes where it stopped): the voice's data
 * ({@code $run/voice/data}: {@link VoiceData}), the unit codebook and the mel-vs-encoder proxy
 * ({@code voice/units}), the frame units of every clip ({@link UnitCache}), the speech decoder's stage 2
 * ({@link UnitCtcObjective} in the {@link TrainingLoop}: {@code voice/decoder}), the vocoder's GAN
 * ({@link VocoderGan}: {@code voice/vocoder}), then publishing into the model's {@code speech/} and the
 * evaluation: the held-out set {@code auris eval} reads ({@link VoiceData#writeEvalSet}), measured by {@link Voice}.
 */
final class VoiceRunner {
    private VoiceRunner() {}

    static void run(VoiceSpec s, Function<String, Path> paths, Path out, boolean resume, Progress progress) {
        Torch.init();
        Path root = out.resolve("voice"), data = root.resolve("data"), unitsDir = root.resolve("units");
        Path modelDir = paths.apply(s.model());
        try (SpeechLlm model = SpeechLlm.load(modelDir, DType.F32)) {
            if (!(resume && Files.isRegularFile(data.resolve("train.jsonl")))) {
                long t = System.nanoTime();
                List<String> prompts = Synthesis.sampleSentences(paths.apply(s.sampleLlm()), s.sampleStories(), s.temperature(), s.minWords(), s.maxWords(), s.seed());
                if (prompts.size() > s.maxPrompts()) prompts = prompts.subList(0, s.maxPrompts());
                progress.message("voice: " + prompts.size() + " prompts; answering and speaking them with espeak-ng " + s.espeakVoice());
                VoiceData.synthesize(model, prompts, s, data, progress::message);
                stamp(data, "synthesis", t);
            }
            List<VoiceData.Item> train = VoiceData.items(data.resolve("train.jsonl")), held = VoiceData.items(data.resolve("heldout.jsonl"));
            List<String> trainClips = clips(train), heldClips = clips(held);
            Codebook cb;
            UnitFeatures features = UnitFeatures.of(s.units(), model);
            if (resume && Files.isRegularFile(unitsDir.resolve("codebook.safetensors"))) {
                cb = UnitCodebook.load(unitsDir);
            } else {
                long t = System.nanoTime();
                cb = UnitCodebook.train(trainClips.stream().map(data::resolve).toList(), features, s.units(), s.seed());
                UnitCodebook.save(cb, s.units(), unitsDir);
                stamp(unitsDir, "codebook", t);
                compareFeatures(s, model, data, trainClips, heldClips, unitsDir, progress);
            }
            long tu = System.nanoTime();
            Map<String, long[]> frames = new HashMap<>(UnitCache.frames(data.resolve("train.jsonl"), trainClips, cb, features));
            frames.putAll(UnitCache.frames(data.resolve("heldout.jsonl"), heldClips, cb, features));
            progress.message(String.format(Locale.ROOT, "voice: frame units of %d clips in %.0f s (cached beside the manifests)", frames.size(), (System.nanoTime() - tu) / 1e9));
            Path decoderDir = root.resolve("decoder");
            if (s.decoder() != null && !(resume && Files.isRegularFile(decoderDir.resolve("model.safetensors")))) {
                trainDecoder(s, model, data, train, held, frames, decoderDir, resume, progress);
            }
            Path vocoderDir = root.resolve("vocoder");
            if (s.vocoder() != null && !(resume && Files.isRegularFile(vocoderDir.resolve("result.json")))) {
                trainVocoder(s, cb.size(), data, train, held, frames, vocoderDir, progress);
            }
            if (s.publish() != null && s.decoder() != null && s.vocoder() != null) {
                Path target = paths.apply(s.publish());
                Publisher.speech(target, decoderDir, vocoderDir, unitsDir, s.omega());
                progress.message("voice: published " + target.resolve("speech"));
                Path heldOut = target.resolve("eval/heldout");
                VoiceData.writeEvalSet(held, data, s.evalClips(), heldOut);
                Voice v;
                try (SpeechLlm spoken = SpeechLlm.load(target, DType.F32); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
                    v = Voice.measure(spoken, heldOut.resolve("voice.jsonl"), 0, s.answerTokens(), root.resolve("eval/wav"));
                }
                record(v, root.resolve("eval/voice.json"));
                progress.message(String.format(Locale.ROOT, "voice eval on %d held-out prompts: spoken answers WER %.1f %%, units-resynthesis WER %.1f %% (the prompt speech itself %.1f %%), vocoder RTF %.3f whole / %.3f streamed, first audio %.0f ms",
                        v.clips(), 100 * v.spokenWer(), 100 * v.resynthWer(), 100 * v.floorWer(), v.rtfWhole(), v.rtfStreamed(), v.firstAudioMs()));
                VoiceCard.write(target, root, s, v);
            }
        }
    }

    /** The voice's figures and per-prompt rows as JSON (the samples of one answer left out). */
    private static void record(Voice v, Path file) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode().put("clips", v.clips()).put("spoken_wer", v.spokenWer()).put("resynth_wer", v.resynthWer())
                .put("floor_wer", v.floorWer()).put("rtf_whole", v.rtfWhole()).put("rtf_streamed", v.rtfStreamed()).put("encode_ms", v.encodeMs())
                .put("first_token_ms", v.firstTokenMs()).put("first_audio_ms", v.firstAudioMs());
        o.set("rows", json.valueToTree(v.rows()));
        AtomicFiles.writeString(file, o.toPrettyString() + "\n");
    }

    private static List<String> clips(List<VoiceData.Item> items) {
        List<String> c = new ArrayList<>();
        for (var i : items) {
            c.add(i.answerAudio());
            c.add(i.promptAudio());
        }
        return c;
    }

    /** Units from log-mel vs. from the model's encoder: the per-unit mean log-mel proxy on held-out clips (voice/units/compare.json). */
    private static void compareFeatures(VoiceSpec s, SpeechLlm model, Path data, List<String> train, List<String> held, Path dir, Progress progress) {
        List<Path> tr = train.stream().limit(400).map(data::resolve).toList(), he = held.stream().limit(100).map(data::resolve).toList();
        ObjectNode o = new ObjectMapper().createObjectNode();
        var mel = new UnitFeatures.Mel(dev.auris.features.LogMel.of(s.units().nMels(), s.units().hopLength()));
        for (String kind : List.of("mel", "encoder")) {
            var u = new VoiceSpec.UnitSpec(kind, s.units().nMels(), s.units().hopLength(), s.units().k(), s.units().iterations(), 100_000);
            UnitFeatures f = UnitFeatures.of(u, model);
            Codebook cb = UnitCodebook.train(tr, f, u, s.seed());
            double err = UnitCodebook.melReconstruction(cb, f, mel, tr, he);
            cb.centroids().close();
            o.put(kind + "_mel_l1", err);
            progress.message(String.format(Locale.ROOT, "voice: units from %s features rebuild held-out log-mel with mean |Δ| %.4f", kind, err));
        }
        AtomicFiles.writeString(dir.resolve("compare.json"), o.toPrettyString() + "\n");
    }

    private static void trainDecoder(VoiceSpec s, SpeechLlm model, Path data, List<VoiceData.Item> train, List<VoiceData.Item> held,
                                     Map<String, long[]> frames, Path dir, boolean resume, Progress progress) {
        VoiceSpec.DecoderSpec d = s.decoder();
        List<Example> tr = Manifest.read(data.resolve("train.jsonl"), false).examples(), he = Manifest.read(data.resolve("heldout.jsonl"), false).examples();
        Map<Example, long[]> units = new IdentityHashMap<>();
        for (int i = 0; i < tr.size(); i++) units.put(tr.get(i), Codebook.dedup(frames.get(train.get(i).answerAudio())));
        for (int i = 0; i < he.size(); i++) units.put(he.get(i), Codebook.dedup(frames.get(held.get(i).answerAudio())));
        int lambda = d.upsampleFactor() > 0 ? d.upsampleFactor() : upsampleFor(model, tr, units);
        ObjectNode c = new ObjectMapper().createObjectNode().put("speech_generator_type", "ctc").put("ctc_decoder_config", d.ctcDecoderConfig())
                .put("ctc_upsample_factor", lambda).put("unit_vocab_size", s.units().k()).put("ctc_loss_weight", 1.0)
                .put("hidden_size", model.text().llm().config().hiddenSize()).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0);
        SpeechDecoderConfig cfg = SpeechDecoderConfig.of("voice.decoder", c);
        StageConfig stage = new StageConfig("speech-decoder", "unit-ctc", List.of("speech_decoder"), null,
                List.of(new StageConfig.DataSource(data.resolve("train.jsonl").toString(), 1)), List.of(new StageConfig.DataSource(data.resolve("heldout.jsonl").toString(), 1)),
                d.steps(), d.batchSize(), 1, d.lr(), d.warmupSteps(), 0.1, d.weightDecay(), 1.0, Math.max(1, d.steps() / 4), Math.max(1, d.steps() / 4), 2, d.seed(), 0, 0);
        try (SpeechDecoder decoder = SpeechDecoder.load(cfg, WeightSource.random(d.seed(), 0.02), DType.F32);
             UnitCtcObjective objective = new UnitCtcObjective(model, decoder, tr, he, units, d.batchSize(), d.seed())) {
            progress.message(String.format(Locale.ROOT, "voice: %.2f units per answer state; speech decoder %s, λ = %d", objective.unitsPerState(), d.ctcDecoderConfig(), lambda));
            TrainingResult r = new TrainingLoop(stage, dir, progress, TrainingLoop.Options.STAGE).run(objective, resume);
            AtomicFiles.writeString(dir.resolve("config.json"), c.toPrettyString() + "\n");
            Map<String, dev.auris.io.SafeTensorsWriter.Entry> e = new LinkedHashMap<>();
            decoder.tensors().forEach((n, t) -> e.put(n, new dev.auris.io.SafeTensorsWriter.Entry(DType.F32, Torch.shape(t), Torch.toBytes(t.detach().contiguous()))));
            dev.auris.io.SafeTensorsWriter.write(dir.resolve("model.safetensors"), e, Map.of("format", "pt"));
            r.record(dir);
            progress.message(String.format(Locale.ROOT, "voice: speech decoder CTC %.3f → %.3f (held-out %.3f) in %.0f s", r.firstLoss(), r.trainLoss(), r.validationLoss(), r.seconds()));
        }
    }

    /** The smallest λ with λ · (answer tokens + 1) ≥ units for 98 % of the training answers (at least 2). */
    static int upsampleFor(SpeechLlm model, List<Example> train, Map<Example, long[]> units) {
        double[] ratio = new double[train.size()];
        for (int i = 0; i < ratio.length; i++) {
            int states = model.text().tokenizer().encodeContinuation(train.get(i).answer()).length + 1;
            ratio[i] = (double) units.get(train.get(i)).length / states;
        }
        Arrays.sort(ratio);
        return Math.max(2, (int) Math.ceil(ratio[(int) Math.min(ratio.length - 1, Math.floor(0.98 * ratio.length))]));
    }

    private static void trainVocoder(VoiceSpec s, int k, Path data, List<VoiceData.Item> train, List<VoiceData.Item> held, Map<String, long[]> frames,
                                     Path dir, Progress progress) {
        VoiceSpec.VocoderSpec v = s.vocoder();
        CodeHiFiGanConfig c = new CodeHiFiGanConfig(k, v.embeddingDim(), v.embeddingDim(), v.upsampleRates(), v.upsampleKernelSizes(), v.upsampleInitialChannel(),
                v.resblockKernelSizes(), v.resblockDilationSizes(), new CodeHiFiGanConfig.DurationPredictor(v.embeddingDim(), v.durHidden(), 3), 16000);
        List<VocoderGan.Clip> tr = new ArrayList<>(), he = new ArrayList<>();
        for (String clip : clips(train)) tr.add(new VocoderGan.Clip(frames.get(clip), Audio.load(data.resolve(clip)).samples()));
        for (var i : held) he.add(new VocoderGan.Clip(frames.get(i.answerAudio()), Audio.load(data.resolve(i.answerAudio())).samples()));
        AtomicFiles.writeString(dir.resolve("config.json"), VocoderGan.configJson(c));
        try (HifiGanGenerator g = new HifiGanGenerator(c, v.seed())) {
            VocoderGan.Result r = VocoderGan.train(g, v, tr, he, dir, progress::message);
            try {
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("result.json").toFile(), r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            progress.message(String.format(Locale.ROOT, "voice: vocoder %d steps in %.0f s, mel L1 %.3f → %.3f, held-out %.3f", r.steps(), r.seconds(), r.firstMelL1(), r.lastMelL1(), r.heldOutMelL1()));
        }
    }

    private static void stamp(Path dir, String what, long t0) {
        AtomicFiles.writeString(dir.resolve(what + "-seconds.txt"), String.format(Locale.ROOT, "%.1f%n", (System.nanoTime() - t0) / 1e9));
    }
}
