package dev.auris.train.eval;

import dev.auris.llm.Llm;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * Agreement on sqa.jsonl: the spoken prompt's greedy continuation equals the text prompt's (the base LLM on
 * the same text typed, the transcript from asr.jsonl) for the first n tokens; and text agreement, the model's
 * own continuation of the typed text against the base LLM's (what its adapters changed). NaN without clips.
 */
record Agreement(int clips, int agreed, double agreedTokens, int textAgreed, List<Map<String, Object>> rows) {
    static Agreement measure(SpeechLlm model, Path heldOut, int n, int limit) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int agreed = 0, clips = 0, textAgreed = 0;
        double agreedTokens = 0;
        Path sqa = heldOut.resolve("sqa.jsonl");
        Path texts = heldOut.resolve("asr.jsonl");
        Map<String, String> transcriptOf = new HashMap<>();
        if (Files.isRegularFile(texts)) {
            for (Example e : Manifest.read(texts, true).examples()) transcriptOf.put(Greedy.clipKey(e), e.answer());
        }
        Llm base = model.text().llm();
        Set<Integer> eos = model.text().eosIds();
        if (Files.isRegularFile(sqa)) {
            for (Example e : Greedy.take(Manifest.read(sqa, true).examples(), limit)) {
                String text = transcriptOf.get(Greedy.clipKey(e));
                if (text == null) continue;
                int[] spoken;
                try (SpeechSession s = model.newSession()) {
                    Tensor logits = s.prefill(Turn.user(Greedy.speech(e)));
                    spoken = Greedy.tokens(logits, s::step, n, eos);
                }
                int[] ids = Greedy.withBos(model, text);
                int[] typed = Greedy.continuation(base, ids, n, eos);
                // the model's own continuation of the typed text: does it still write as the base LLM?
                int[] own = Greedy.continuation(model.llm(), ids, n, eos);
                if (Arrays.equals(own, typed)) textAgreed++;
                int same = 0;
                while (same < Math.min(spoken.length, typed.length) && spoken[same] == typed[same]) same++;
                boolean agree = same >= Math.min(n, typed.length) && spoken.length >= Math.min(n, typed.length);
                if (agree) agreed++;
                agreedTokens += same;
                clips++;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("task", "continuation");
                row.put("line", e.line());
                row.put("spoken_text", text);
                row.put("typed_continuation", model.text().tokenizer().decode(typed));
                row.put("spoken_continuation", model.text().tokenizer().decode(spoken));
                row.put("tokens_agree", same);
                row.put("agrees", agree);
                row.put("own_text_continuation_agrees", Arrays.equals(own, typed));
                rows.add(row);
            }
        }
        return new Agreement(clips, agreed, agreedTokens, textAgreed, List.copyOf(rows));
    }

    double agreement() { return clips == 0 ? Double.NaN : (double) agreed / clips; }

    double meanAgreedTokens() { return clips == 0 ? Double.NaN : agreedTokens / clips; }

    double textAgreement() { return clips == 0 ? Double.NaN : (double) textAgreed / clips; }
}
