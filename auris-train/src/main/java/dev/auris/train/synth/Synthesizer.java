package dev.auris.train.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import dev.auris.io.AtomicFiles;
import dev.auris.llm.Session;
import dev.auris.llm.TextModel;
import dev.auris.prompt.ChatTemplate;
import dev.auris.prompt.Instructions;
import dev.auris.sample.Generator;
import dev.auris.sample.SamplingOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * Offline data synthesis ({@code auris synth}): texts → speech by real TTS engines → training manifests.
 *
 * <p>Split: voices are split deterministically — every {@code heldOutEvery}-th voice of each engine (in the
 * engine's voice order) is held out — and so are texts (every {@code heldOutEvery}-th line). A held-out engine
 * ({@code heldOutEngines}) gives no voice to training: all its voices speak the held-out texts in
 * {@link #HELD_OUT_ENGINE}, the yardstick of hearing an unfamiliar synthesizer. Each clip's voice is drawn
 * uniformly from the split's voices, or ({@code balanceEngines}) an engine first and then one of its voices, so
 * an engine with many voice variants does not outweigh the others. Train
 * manifests use train texts spoken by train voices; held-out manifests use held-out texts spoken by
 * held-out voices, so evaluation hears neither sentence nor speaker from training. {@code split.json}
 * records both lists. Train-only texts ({@code trainOnlyTexts}, e.g. public-domain prose for text diversity) join the
 * training texts after the split and are never held out, so the held-out sets stay those of the split's texts.
 *
 * <p>Manifests written per split ({@code train/}, {@code heldout/}): {@code asr.jsonl} (speech + an ASR
 * instruction from LLaSM's set → the text), {@code sqa.jsonl} (speech alone → what the text LLM answers
 * to the same text typed: target distilled from the LLM), {@code mixed.jsonl} (text instruction + speech →
 * the same distilled answer), {@code text.jsonl} (the text typed → the distilled answer: text-only SFT,
 * keeps the LLM's text skills), {@code repeat.jsonl} (the text typed + an ASR instruction → the same text:
 * the copying half of transcription without the listening, for LLMs that never learnt to repeat), {@code dpo.jsonl} (speech → chosen: its distilled answer, rejected: the
 * answer to another text).
 */
public final class Synthesizer {
    /** What to synthesize. */
    public record Config(List<String> texts, Path out, List<TtsEngine> engines, int clipsPerText, int heldOutEvery,
                         Path distillModel, int distillTokens, String mixedInstruction, long seed, Set<String> heldOutEngines, boolean balanceEngines,
                         List<String> trainOnlyTexts) {
        /** Without train-only texts: every text takes part in the split. */
        public Config(List<String> texts, Path out, List<TtsEngine> engines, int clipsPerText, int heldOutEvery, Path distillModel, int distillTokens,
                      String mixedInstruction, long seed, Set<String> heldOutEngines, boolean balanceEngines) {
            this(texts, out, engines, clipsPerText, heldOutEvery, distillModel, distillTokens, mixedInstruction, seed, heldOutEngines, balanceEngines, List.of());
        }

        public Config {
            trainOnlyTexts = trainOnlyTexts == null ? List.of() : List.copyOf(trainOnlyTexts);
            heldOutEngines = heldOutEngines == null ? Set.of() : Set.copyOf(heldOutEngines);
            for (String e : heldOutEngines) {
                if (engines.stream().noneMatch(x -> x.name().equals(e))) throw new IllegalArgumentException("held-out engine " + e + " is not one of the engines " + engines.stream().map(TtsEngine::name).toList());
            }
        }
    }

    /** Counts of what was written. */
    public record Summary(int trainClips, int heldOutClips, int heldOutEngineClips, int trainVoices, int heldOutVoices, double audioSeconds, Map<String, Integer> engines) {}

    /** The split of the held-out engines' voices speaking the held-out texts (an engine never heard in training). */
    public static final String HELD_OUT_ENGINE = "heldout-engine";

    private Synthesizer() {}

    public static Summary run(Config c, java.util.function.Consumer<String> log) {
        List<Voice> train = new ArrayList<>(), held = new ArrayList<>(), engineHeld = new ArrayList<>();
        Map<String, TtsEngine> byName = new HashMap<>();
        for (TtsEngine e : c.engines()) {
            if (!e.available()) {
                log.accept(e.name() + " is not installed: skipped (apt-get install " + e.name() + ")");
                continue;
            }
            byName.put(e.name(), e);
            List<Voice> vs = e.voices();
            if (c.heldOutEngines().contains(e.name())) {
                engineHeld.addAll(vs);
                continue;
            }
            for (int i = 0; i < vs.size(); i++) (i % c.heldOutEvery() == c.heldOutEvery() - 1 ? held : train).add(vs.get(i));
        }
        if (train.isEmpty() || held.isEmpty()) throw new IllegalStateException("no TTS engine with enough voices is available");
        List<String> trainTexts = new ArrayList<>(), heldTexts = new ArrayList<>();
        for (int i = 0; i < c.texts().size(); i++) (i % c.heldOutEvery() == c.heldOutEvery() - 1 ? heldTexts : trainTexts).add(c.texts().get(i));
        Set<String> seen = new HashSet<>(c.texts());
        int extra = 0;
        for (String t : c.trainOnlyTexts()) if (seen.add(t)) {                        // after the split's own, drawn from their own stream:
            trainTexts.add(t);                                                         // every other clip's draws stay as they were
            extra++;
        }
        Map<String, String> answers = distill(c, log);
        SplittableRandom rnd = new SplittableRandom(c.seed());
        Map<String, Integer> engineCounts = new TreeMap<>();
        double[] seconds = {0};
        int nTrain = write(c, "train", trainTexts, trainTexts.size() - extra, train, byName, answers, rnd, engineCounts, seconds, log);
        int nHeld = write(c, "heldout", heldTexts, heldTexts.size(), held, byName, answers, rnd, engineCounts, seconds, log);
        int nEngine = engineHeld.isEmpty() ? 0 : write(c, HELD_OUT_ENGINE, heldTexts, heldTexts.size(), engineHeld, byName, answers, rnd, engineCounts, seconds, log);
        ObjectMapper json = new ObjectMapper();
        ObjectNode split = json.createObjectNode();
        ArrayNode tv = split.putArray("train_voices"), hv = split.putArray("heldout_voices");
        train.forEach(v -> tv.add(v.id()));
        held.forEach(v -> hv.add(v.id()));
        String rule = "every " + c.heldOutEvery() + "th voice of each engine and every " + c.heldOutEvery() + "th text line is held out";
        if (!engineHeld.isEmpty()) {
            split.putArray("heldout_engines").addAll(new TreeSet<>(c.heldOutEngines()).stream().map(split::textNode).toList());
            ArrayNode ev = split.putArray("heldout_engine_voices");
            engineHeld.forEach(v -> ev.add(v.id()));
            rule += "; every voice of " + String.join(", ", new TreeSet<>(c.heldOutEngines())) + " is held out (never trained on) and speaks the held-out texts in " + HELD_OUT_ENGINE;
        }
        split.put("voice_sampling", c.balanceEngines() ? "engines" : "voices");
        split.put("rule", rule);
        AtomicFiles.writeString(c.out().resolve("split.json"), split.toPrettyString());
        return new Summary(nTrain, nHeld, nEngine, train.size(), held.size(), seconds[0], engineCounts);
    }

    /** Writes a split's clips and manifests; texts from {@code own} on (train-only texts) draw from a stream of their own. */
    private static int write(Config c, String split, List<String> texts, int own, List<Voice> voices, Map<String, TtsEngine> engines, Map<String, String> answers,
                             SplittableRandom rnd, Map<String, Integer> engineCounts, double[] seconds, java.util.function.Consumer<String> log) {
        ObjectMapper json = new ObjectMapper();
        Path dir = c.out().resolve(split);
        StringBuilder asr = new StringBuilder(), sqa = new StringBuilder(), mixed = new StringBuilder(), text = new StringBuilder(), dpo = new StringBuilder(),
                repeat = new StringBuilder();
        SplittableRandom repeatRnd = new SplittableRandom(c.seed() * 31 + split.hashCode()); // its own stream: the clips' draws stay as they were
        SplittableRandom extraRnd = new SplittableRandom(c.seed() * 131 + 7);
        // Every random draw is made first, in text order (voice, instruction, the rejected answer's text), then
        // the clips of a chunk are spoken on every core and written in order: the data are those of one clip at
        // a time, and two engines speak at once. (A clip an engine fails on is skipped with its draws made.)
        record Planned(int text, int k, Voice voice, String instruction, String other) {}
        List<Planned> plan = new ArrayList<>();
        List<List<Voice>> byEngine = new ArrayList<>(voices.stream().collect(java.util.stream.Collectors.groupingBy(Voice::engine, LinkedHashMap::new,
                java.util.stream.Collectors.toList())).values());
        for (int t = 0; t < texts.size(); t++) {
            SplittableRandom r = t < own ? rnd : extraRnd;
            for (int k = 0; k < c.clipsPerText(); k++) {
                List<Voice> from = c.balanceEngines() ? byEngine.get(r.nextInt(byEngine.size())) : voices;  // an engine first, or a voice of all
                Voice v = from.get(r.nextInt(from.size()));
                String instruction = Instructions.pick(Instructions.LLASM_ASR, r);
                String other = answers.get(texts.get(t)) == null ? null
                        : answers.get(texts.get((t + 1 + r.nextInt(Math.max(1, own - 1))) % own));
                plan.add(new Planned(t, k, v, instruction, other));
            }
        }
        java.util.function.IntConsumer textLines = t -> {                              // a text's own lines, once, in text order
            String s = texts.get(t), answer = answers.get(s);
            repeat.append(line(json, "repeat", List.of(part("text", s + " " + Instructions.pick(Instructions.LLASM_ASR, repeatRnd))), s)).append('\n');
            if (answer != null) text.append(line(json, "text", List.of(part("text", s)), answer)).append('\n');
            if (t > 0 && t % 50 == 0) log.accept(split + ": " + t + "/" + texts.size() + " texts");
        };
        int n = 0, next = 0;
        for (int from = 0; from < plan.size(); from += SPEAK_CHUNK) {
            List<Planned> chunk = plan.subList(from, Math.min(plan.size(), from + SPEAK_CHUNK));
            List<Object> spoken = Parallel.map(chunk.size(), i -> {                 // an AudioClip, or why the engine failed
                Planned p = chunk.get(i);
                try {
                    return engines.get(p.voice().engine()).speak(texts.get(p.text()), p.voice());
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
            });
            for (int i = 0; i < chunk.size(); i++) {
                Planned p = chunk.get(i);
                while (next <= p.text()) textLines.accept(next++);
                String s = texts.get(p.text()), answer = answers.get(s);
                Voice v = p.voice();
                if (!(spoken.get(i) instanceof AudioClip clip)) {
                    log.accept("skipped \"" + s + "\" with " + v.id() + ": " + spoken.get(i));
                    continue;
                }
                String rel = "clips/" + split + "-" + String.format("%05d", p.text()) + "-" + p.k() + ".wav";
                Wav.write(dir.resolve(rel), clip);
                seconds[0] += clip.seconds();
                engineCounts.merge(v.engine(), 1, Integer::sum);
                n++;
                asr.append(line(json, "asr", List.of(part("audio", rel), part("text", p.instruction())), s, v)).append('\n');
                if (answer != null) {
                    sqa.append(line(json, "sqa", List.of(part("audio", rel)), answer, v)).append('\n');
                    mixed.append(line(json, "mixed", List.of(part("text", c.mixedInstruction()), part("audio", rel)), answer, v)).append('\n');
                    if (p.other() != null && !p.other().equals(answer)) {
                        ObjectNode pref = json.createObjectNode().put("task", "dpo").put("voice", v.id());
                        pref.putArray("messages").addObject().put("role", "user").putArray("content").add(part("audio", rel));
                        pref.put("chosen", answer).put("rejected", p.other());
                        dpo.append(pref).append('\n');
                    }
                }
            }
        }
        while (next < texts.size()) textLines.accept(next++);                          // texts after the last clip (clips_per_text 0)
        AtomicFiles.writeString(dir.resolve("asr.jsonl"), asr.toString());
        AtomicFiles.writeString(dir.resolve("repeat.jsonl"), repeat.toString());
        if (!answers.isEmpty()) {
            AtomicFiles.writeString(dir.resolve("sqa.jsonl"), sqa.toString());
            AtomicFiles.writeString(dir.resolve("mixed.jsonl"), mixed.toString());
            AtomicFiles.writeString(dir.resolve("text.jsonl"), text.toString());
            AtomicFiles.writeString(dir.resolve("dpo.jsonl"), dpo.toString());
        }
        return n;
    }

    /** Clips spoken at once (on every core) before they are written: bounds the audio held in memory. */
    static final int SPEAK_CHUNK = 64;

    private static ObjectNode part(String kind, String value) {
        return new ObjectMapper().createObjectNode().put(kind, value);
    }

    private static String line(ObjectMapper json, String task, List<ObjectNode> userParts, String answer, Voice... voice) {
        ObjectNode o = json.createObjectNode().put("task", task);
        if (voice.length > 0) o.put("voice", voice[0].id());
        ArrayNode msgs = o.putArray("messages");
        ObjectNode user = msgs.addObject().put("role", "user");
        ArrayNode content = user.putArray("content");
        userParts.forEach(content::add);
        msgs.addObject().put("role", "assistant").put("content", answer);
        return o.toString();
    }

    /** The text LLM's greedy answer to each text typed (chat template when it has one, else a plain continuation). */
    static Map<String, String> distill(Config c, java.util.function.Consumer<String> log) {
        Map<String, String> out = new HashMap<>();
        if (c.distillModel() == null) return out;
        try (TextModel m = TextModel.load(c.distillModel(), dev.auris.core.DType.F32)) {
            var template = ChatTemplate.load(c.distillModel(), m.tokenizer());
            List<String> answers = Parallel.map(c.texts().size(), i -> {
                String s = c.texts().get(i);
                int[] ids;
                if (template.isPresent()) {
                    ids = m.tokenizer().encode(template.get().render(List.of(ChatTemplate.Message.user(s)), true));
                } else {
                    int[] p = m.tokenizer().encode(s);
                    ids = new int[p.length + 1];
                    ids[0] = m.tokenizer().bosId().orElse(1);
                    System.arraycopy(p, 0, ids, 1, p.length);
                }
                try (var guard = new org.bytedeco.pytorch.NoGradGuard(); Session session = m.llm().newSession(); var scope = new org.bytedeco.javacpp.PointerScope()) {
                    return Generator.generate(session, session.prefill(ids), m.tokenizer(), SamplingOptions.greedy(c.distillTokens()), m.eosIds(), d -> {}).text();
                }
            });
            for (int i = 0; i < answers.size(); i++) out.put(c.texts().get(i), answers.get(i));
            log.accept("distilled " + out.size() + " answers from " + c.distillModel());
        }
        return out;
    }

    /** Reads a text file: one text per non-blank line. */
    public static List<String> readTexts(Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
