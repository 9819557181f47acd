package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Home;
import dev.auris.core.DType;
import dev.auris.pipeline.SpeechLlm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** recipes/tiny.json end to end at toy scale: synthesis, CTC encoder, both stages, publishing with eval and model card. */
class TinyRecipeTest {
    @TempDir
    Path tmp;

    @Test
    void synthesizesPretrainsTrainsAndPublishes() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode r = (ObjectNode) json.readTree(Home.resolve("recipes/tiny.json").toFile());
        String llm = TrainFixtures.llm().toString();
        ((ObjectNode) r.get("synth")).put("sample_llm", llm).put("distill", llm).put("sample_stories", 6).put("clips_per_text", 1).put("held_out_every", 4)
                .put("distill_tokens", 12).putArray("engines").add("freetts");
        ((ObjectNode) r.get("encoder")).put("vocabulary", llm).put("d_model", 64).put("layers", 2).put("heads", 2).put("ffn_dim", 128).put("steps", 15).put("warmup_steps", 2);
        ((ObjectNode) r.get("model").get("compose")).put("llm", llm);
        for (var s : (ArrayNode) r.get("stages")) ((ObjectNode) s).put("steps", 8).put("warmup_steps", 1).put("batch_size", 4).put("eval_every", 4).put("save_every", 4);
        ((ObjectNode) r.get("publish")).put("to", tmp.resolve("published").toString()).put("examples", tmp.resolve("examples").toString()).put("held_out_examples", 4);
        TrainFixtures.toyVoice((ObjectNode) r.get("voice"), tmp.resolve("published"));            // the voice on top of the model just published
        ((ObjectNode) r.get("voice")).put("model", tmp.resolve("published").toString());
        Path recipe = tmp.resolve("tiny.json");
        Files.writeString(recipe, r.toPrettyString());
        var results = RecipeRunner.run(recipe, tmp.resolve("run"), false, Progress.silent());
        assertEquals(3, results.size(), "encoder + two stages");
        Path pub = tmp.resolve("published");
        for (String f : new String[]{"auris.json", "fusion.safetensors", "encoder/model.safetensors", "README.md", "eval/report.md", "eval/report.png", "eval/heldout/asr.jsonl",
                "eval/with-adapters/report.md", "speech/decoder/config.json", "speech/decoder/model.safetensors", "speech/vocoder/config.json",
                "speech/vocoder/model.safetensors", "speech/units/codebook.safetensors", "speech/units/units.json", "eval/heldout/voice.jsonl"}) {
            assertTrue(Files.isRegularFile(pub.resolve(f)), f);
        }
        // examples.jsonl is the report's evidence: its asr lines add up to the WER the report states
        var rows = new java.util.ArrayList<com.fasterxml.jackson.databind.JsonNode>();
        for (String line : Files.readAllLines(pub.resolve("eval/examples.jsonl"))) rows.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line));
        long errs = 0, words = 0, continuations = 0;
        for (var row : rows) {
            if (row.path("task").asText().equals("asr")) { errs += row.path("word_errors").asLong(); words += row.path("words").asLong(); }
            else if (row.path("task").asText().equals("continuation")) continuations++;
        }
        assertTrue(words > 0 && continuations > 0, "examples.jsonl has both tasks: " + rows.size() + " lines");
        String wer = String.format(java.util.Locale.ROOT, "| %.1f %% |", 100.0 * errs / words);
        assertTrue(Files.readString(pub.resolve("eval/report.md")).contains(wer), "report.md states the WER examples.jsonl adds up to, " + wer);
        assertTrue(Files.readString(pub.resolve("eval/report.md")).contains("| freetts | " + wer.substring(2)), "the WER per engine: the toy data's one engine, freetts");
        // the recipe publishes without the joint-SFT adapters (publish.adapters false) and measures them beside the model
        assertFalse(r.get("publish").get("adapters").asBoolean(true));
        assertFalse(Files.exists(pub.resolve("lora.safetensors")));
        String card = Files.readString(pub.resolve("README.md"));
        assertTrue(card.contains("WER"), card);
        assertTrue(card.contains("## The same evaluation with stage voicetextblender's LoRA adapters (not shipped"), card);
        // the voice: its held-out spoken prompts ship with the model, and the card's figures add up from the rows the run recorded
        var voice = json.readTree(tmp.resolve("run/voice/eval/voice.json").toFile());
        assertEquals(2, voice.path("clips").asInt(), voice.toString());
        long spokenErr = 0, spokenWords = 0;
        for (var row : voice.path("rows")) {
            spokenErr += row.path("spoken_errors").asLong();
            spokenWords += row.path("words").asLong();
            assertTrue(Files.isRegularFile(tmp.resolve("run/voice/eval/wav").resolve(String.format("spoken-%04d.wav", row.path("line").asInt()))), row.toString());
        }
        assertTrue(card.contains(String.format(java.util.Locale.ROOT, "| spoken answers' WER against the text answers (this model's recognizer) | %.1f %% |",
                100.0 * spokenErr / Math.max(1, spokenWords))), card);
        assertEquals(2, Files.readAllLines(pub.resolve("eval/heldout/voice.jsonl")).size());
        // auris eval measures the voice of the published model from those prompts, with one answer's spectrogram
        try (SpeechLlm voiced = SpeechLlm.load(pub, DType.F32)) {
            var report = dev.auris.train.eval.Evaluator.run(voiced, pub.resolve("eval/heldout"), 4, 2, tmp.resolve("report"), "voiced");
            assertEquals(2, report.voice().clips());
            var v = report.voice();                                                    // a toy decoder may give an answer no units: no audio, no first-audio time
            assertTrue(v.rtfWhole() > 0 && (Double.isNaN(v.firstAudioMs()) || v.firstAudioMs() >= v.firstTokenMs()), v.toString());
            assertTrue(Files.readString(tmp.resolve("report/report.md")).contains("spoken answers' WER"));
            assertEquals(v.answer().length > 0, Files.isRegularFile(tmp.resolve("report/answer.png")), "a spectrogram when an answer was spoken (SpectrogramTest draws one)");
        }
        StringBuilder mix = new StringBuilder(); // e.g. "asr 3, repeat 2, ..., text 5 (distilled from the base LLM)", from the recipe
        var distilled = new java.util.HashSet<String>();
        r.get("stages").get(1).path("distill_tasks").forEach(t -> distilled.add(t.asText()));
        for (var d : r.get("stages").get(1).get("data")) {
            String task = d.get("manifest").asText().replaceFirst(".*/", "").replace(".jsonl", "");
            mix.append(mix.isEmpty() ? "" : ", ").append(task).append(' ').append(d.get("weight").asInt()).append(distilled.contains(task) ? " (distilled from the base LLM)" : "");
        }
        assertTrue(card.contains("| " + mix + " |"), "the card names each stage's data mixture (" + mix + "): " + card);
        // the recipe ships the encoder in bf16: every weight is stored so, and bf16 -> f32 reproduces the trained f32 weights to bf16 rounding
        try (var shipped = dev.auris.io.SafeTensors.open(pub.resolve("encoder/model.safetensors"));
             var trained = dev.auris.io.SafeTensors.open(tmp.resolve("run/encoder/model.safetensors"))) {
            assertEquals(trained.tensors().keySet(), shipped.tensors().keySet());
            for (var info : shipped.tensors().values()) {
                assertEquals(DType.BF16, info.dtype(), info.name());
                var a = trained.data(info.name()).asFloatBuffer();
                var b = shipped.data(info.name()).asShortBuffer();
                for (int i = 0; i < a.remaining(); i++) {
                    float up = Float.intBitsToFloat((b.get(i) & 0xffff) << 16);
                    assertEquals(a.get(i), up, Math.abs(a.get(i)) / 128 + 1e-30f, info.name() + "[" + i + "]");
                }
            }
        }
        try (SpeechLlm m = SpeechLlm.load(pub, DType.F32)) {
            assertTrue(m.lora().isEmpty(), "published without adapters");
        }
        try (SpeechLlm m = SpeechLlm.load(tmp.resolve("run/voicetextblender"), DType.F32)) {
            assertTrue(m.lora().isPresent(), "the stage itself trained them");
        }
        // with adapters left on (the default), the model ships them
        ((ObjectNode) r.get("publish")).put("adapters", true).put("to", tmp.resolve("with").toString());
        Files.writeString(recipe, r.toPrettyString());
        RecipeRunner.run(recipe, tmp.resolve("run"), true, Progress.silent());
        assertTrue(Files.isRegularFile(tmp.resolve("with/lora.safetensors")));
        assertFalse(Files.exists(tmp.resolve("with/eval/with-adapters")));
        try (SpeechLlm m = SpeechLlm.load(tmp.resolve("with"), DType.F32)) {
            assertTrue(m.lora().isPresent());
        }
        assertTrue(Files.isRegularFile(tmp.resolve("examples/README.md")));
    }
}
