package dev.auris.prompt;

import dev.auris.audio.AudioClip;
import dev.auris.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;

/** The prompt stage: a conversation rendered by the template, each clip a slot between tokenized pieces of text. */
class PromptBuilderTest {
    /** One token per character (its code point), BOS 1: every piece of text can be read back exactly. */
    static final Tokenizer CHARS = new Tokenizer() {
        @Override public int[] encode(String text) { return text.codePoints().toArray(); }
        @Override public String decode(int[] ids, boolean skipSpecial) { return new String(ids, 0, ids.length); }
        @Override public int vocabSize() { return 0x110000; }
        @Override public OptionalInt tokenId(String token) { return OptionalInt.empty(); }
        @Override public OptionalInt bosId() { return OptionalInt.of(1); }
        @Override public OptionalInt eosId() { return OptionalInt.of(2); }
    };
    static final ChatTemplate TAGS = new ChatTemplate(
            "{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}", "", "");

    static Turn.Speech clip() { return Turn.speech(new AudioClip(new float[1600], 16000)); }

    /** The items as readable text: tokens decoded, a slot as [clip i] by its position in {@code clips}. */
    static String show(List<PromptBuilder.Item> items, List<Turn.Speech> clips) {
        StringBuilder b = new StringBuilder();
        for (PromptBuilder.Item it : items) {
            switch (it) {
                case PromptBuilder.Tokens t -> b.append(t.ids().length == 1 && t.ids()[0] == 1 ? "<s>" : CHARS.decode(t.ids()));
                case PromptBuilder.Slot s -> b.append("[clip ").append(clips.indexOf(s.speech())).append(']');
            }
        }
        return b.toString();
    }

    @Test
    void clipsBecomeSlotsBetweenTokenizedPiecesOfTheRenderedChat() {
        var spec = new PromptSpec(null, "Be brief.", "Answer the question.", false);
        Turn.Speech a = clip(), b = clip();
        List<Turn> chat = List.of(Turn.user(a), Turn.assistant("Yes."), Turn.user(Turn.text("And "), b, Turn.text(" this?")));
        List<PromptBuilder.Item> items = new PromptBuilder(TAGS, CHARS, spec).build(chat, true);
        assertEquals("<system>Be brief.</system><user>[clip 0]\nAnswer the question.</user><assistant>Yes.</assistant><user>And [clip 1] this?</user><assistant>",
                show(items, List.of(a, b)));
        // the slots are the clips themselves (a session hears each once, by identity), in order
        assertSame(a, ((PromptBuilder.Slot) items.get(1)).speech());
        assertSame(b, ((PromptBuilder.Slot) items.get(3)).speech());
        assertEquals(5, items.size());
    }

    @Test
    void plainConcatenationWithoutATemplateAndBosWhenAsked() {
        Turn.Speech a = clip();
        var items = new PromptBuilder(null, CHARS, new PromptSpec(null, null, null, true)).build(List.of(Turn.user(a)), true);
        assertEquals("<s>[clip 0]", show(items, List.of(a)));
        // the instruction goes only after a turn of speech alone; a system turn given in the chat replaces the default
        var spec = new PromptSpec(null, "default system", "Say it.", false);
        var typed = new PromptBuilder(TAGS, CHARS, spec).build(List.of(new Turn("system", List.of(Turn.text("mine"))), Turn.user(Turn.text("hi"))), false);
        assertEquals("<system>mine</system><user>hi</user>", show(typed, List.of()));
    }

    @Test
    void thePlaceholderCannotBeTypedAndATemplateMayNotDropAClip() {
        var spec = new PromptSpec(null, null, null, false);
        var e = assertThrows(IllegalArgumentException.class, () -> new PromptBuilder(TAGS, CHARS, spec).build(List.of(Turn.user(Turn.text("a <speech> b"))), true));
        assertTrue(e.getMessage().contains("may not contain <speech>"), e.getMessage());
        var dropping = new ChatTemplate("{% for m in messages %}{{ m.role }}{% endfor %}", "", "");
        var d = assertThrows(IllegalStateException.class, () -> new PromptBuilder(dropping, CHARS, spec).build(List.of(Turn.user(clip())), true));
        assertTrue(d.getMessage().contains("0 slots for 1 clips"), d.getMessage());
    }
}
