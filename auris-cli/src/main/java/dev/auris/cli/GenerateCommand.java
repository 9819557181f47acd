package dev.auris.cli;

import dev.auris.core.Torch;
import dev.auris.llm.Session;
import dev.auris.llm.TextModel;
import dev.auris.prompt.ChatTemplate;
import dev.auris.sample.Generator;
import dev.auris.sample.SamplingOptions;
import org.bytedeco.javacpp.PointerScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.*;

/** {@code auris generate --model DIR --prompt "Once upon a time"}: text generation, streamed. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text with a Hugging Face LLM directory, streaming tokens as they come.",
                "Plain mode prints the prompt and its continuation (as llama2.c's run.c does); --chat renders the model's chat template."})
final class GenerateCommand implements Runnable {
    @Option(names = "--model", defaultValue = "models/stories260K", description = "LLM directory (default: ${DEFAULT-VALUE}).")
    Path model;
    @Option(names = {"-p", "--prompt"}, defaultValue = "", description = "Prompt text (plain mode) or the user message (--chat).")
    String prompt;
    @Option(names = "--chat", description = "Render the prompt with the model's chat template as a user turn.")
    boolean chat;
    @Option(names = "--system", description = "System message for --chat.")
    String system;
    @Mixin
    SamplingMixin sampling;
    @Option(names = "--steps", description = "llama2.c semantics: total positions incl. BOS and prompt (overrides --max-tokens).")
    Integer steps;
    @Option(names = "--stats", description = "Print timing to stderr.")
    boolean stats;
    @Mixin
    Options options;

    @Override
    public void run() {
        var precision = options.precision();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (TextModel m = TextModel.load(Options.resolve(model), precision); PointerScope scope = new PointerScope(); Session s = m.llm().newSession()) {
            if (stats) System.err.println(Options.describe(precision, null, m.llm()));
            int[] ids;
            if (chat) {
                ChatTemplate t = ChatTemplate.load(Options.resolve(model), m.tokenizer()).orElseThrow(() -> new IllegalArgumentException(
                        model + " has no chat_template in tokenizer_config.json: run without --chat"));
                List<ChatTemplate.Message> msgs = new ArrayList<>();
                if (system != null) msgs.add(ChatTemplate.Message.system(system));
                msgs.add(ChatTemplate.Message.user(prompt));
                ids = m.tokenizer().encode(t.render(msgs, true));
            } else {
                int[] p = m.tokenizer().encode(prompt);
                OptionalInt bos = m.tokenizer().bosId();
                ids = bos.isPresent() ? prepend(bos.getAsInt(), p) : p;
                if (ids.length == 0) throw new IllegalArgumentException("empty prompt and the tokenizer has no BOS token: give --prompt");
                out.print(prompt);
            }
            int budget = steps != null ? steps - ids.length + 1 : sampling.maxTokens;
            if (budget <= 0) throw new IllegalArgumentException("--steps " + steps + " leaves no room after a prompt of " + ids.length + " tokens");
            var opts = sampling.options(budget);
            long t0 = System.nanoTime();
            var logits = s.prefill(ids);
            long prefill = System.nanoTime() - t0;
            var r = Generator.generate(s, logits, m.tokenizer(), opts, m.eosIds(), d -> {
                out.print(d);
                out.flush();
            });
            out.println();
            if (stats) {
                System.err.printf(Locale.ROOT, "prompt %d tokens in %.1f ms; %d new tokens, %.1f tokens/s; stop: %s%n",
                        ids.length, prefill / 1e6, r.tokens().length, r.tokensPerSecond(), r.stop());
            }
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] a = new int[rest.length + 1];
        a[0] = first;
        System.arraycopy(rest, 0, a, 1, rest.length);
        return a;
    }
}
