package dev.auris.prompt;

import dev.auris.prompt.ChatTemplate;
import dev.auris.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a conversation into LLM input items: the chat is rendered with the template, each speech clip
 * as a {@value #PLACEHOLDER} slot; the text between slots is tokenized piece by piece and the clips'
 * embeddings go into the slots (as LLaMA-Omni's {@code tokenizer_speech_token} does).
 */
public final class PromptBuilder {
    public static final String PLACEHOLDER = "<speech>";
    private static final ChatTemplate PLAIN = new ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}", "", "");

    /** Input items in order: token ids, or the speech clip filling a slot. */
    public sealed interface Item permits Tokens, Slot {}

    public record Tokens(int[] ids) implements Item {}

    public record Slot(Turn.Speech speech) implements Item {}

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final PromptSpec spec;

    public PromptBuilder(ChatTemplate template, Tokenizer tokenizer, PromptSpec spec) {
        this.template = template == null ? PLAIN : template;
        this.tokenizer = tokenizer;
        this.spec = spec;
    }

    public List<Item> build(List<Turn> conversation, boolean addGenerationPrompt) {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        List<Turn.Speech> clips = new ArrayList<>();
        if (spec.system() != null && !spec.system().isEmpty() && (conversation.isEmpty() || !conversation.getFirst().role().equals("system"))) {
            messages.add(ChatTemplate.Message.system(spec.system()));
        }
        for (Turn t : conversation) {
            StringBuilder content = new StringBuilder();
            for (Turn.Part p : t.parts()) {
                switch (p) {
                    case Turn.Text x -> {
                        if (x.text().contains(PLACEHOLDER)) throw new IllegalArgumentException("text may not contain " + PLACEHOLDER + ": pass audio as a speech part");
                        content.append(x.text());
                    }
                    case Turn.Speech s -> {
                        content.append(PLACEHOLDER);
                        clips.add(s);
                    }
                }
            }
            if (t.role().equals("user") && t.onlySpeech() && spec.instruction() != null && !spec.instruction().isEmpty()) {
                content.append('\n').append(spec.instruction());
            }
            messages.add(new ChatTemplate.Message(t.role(), content.toString()));
        }
        String rendered = template.render(messages, addGenerationPrompt);
        List<Item> items = new ArrayList<>();
        if (spec.addBos()) tokenizer.bosId().ifPresent(b -> items.add(new Tokens(new int[]{b})));
        String[] pieces = rendered.split(java.util.regex.Pattern.quote(PLACEHOLDER), -1);
        if (pieces.length - 1 != clips.size()) {
            throw new IllegalStateException("the chat template dropped or repeated speech slots (" + (pieces.length - 1) + " slots for " + clips.size() + " clips)");
        }
        for (int i = 0; i < pieces.length; i++) {
            if (!pieces[i].isEmpty()) items.add(new Tokens(tokenizer.encode(pieces[i])));
            if (i < clips.size()) items.add(new Slot(clips.get(i)));
        }
        return items;
    }
}
