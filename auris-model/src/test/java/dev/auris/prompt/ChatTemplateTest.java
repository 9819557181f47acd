package dev.auris.prompt;

import dev.auris.core.Home;
import dev.auris.prompt.ChatTemplate.Message;
import dev.auris.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Expected strings are what Python jinja2 3.1 renders with transformers' environment (trim/lstrip blocks). */
class ChatTemplateTest {
    static final List<Message> CHAT = List.of(Message.system("You are a helpful assistant."), Message.user("Hello there!"),
            Message.assistant("Hi! How can I help?"), Message.user("  Tell me a story.  "));

    @Test
    void qwen3() {
        Path dir = Home.resolve("assets/tokenizers/qwen3");
        ChatTemplate t = ChatTemplate.load(dir, Tokenizer.load(dir)).orElseThrow();
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello there!<|im_end|>\n<|im_start|>assistant\nHi! How can I help?<|im_end|>\n<|im_start|>user\n  Tell me a story.  <|im_end|>\n<|im_start|>assistant\n",
                t.render(CHAT, true));
    }

    @Test
    void llama3() {
        Path dir = Home.resolve("assets/tokenizers/llama3");
        ChatTemplate t = ChatTemplate.load(dir, Tokenizer.load(dir)).orElseThrow();
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello there!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me a story.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(CHAT, true));
    }

    @Test
    void raiseExceptionBecomesAClearError() {
        ChatTemplate t = new ChatTemplate("{% if messages[0].role != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}", "", "");
        var e = assertThrows(IllegalArgumentException.class, () -> t.render(List.of(Message.assistant("x")), true));
        assertTrue(e.getMessage().contains("first message must be user"), e.getMessage());
    }
}
