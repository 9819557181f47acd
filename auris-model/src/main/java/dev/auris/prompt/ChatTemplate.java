package dev.auris.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.auris.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.*;

/**
 * A model's chat template ({@code chat_template} in {@code tokenizer_config.json}) rendered by the Jinjava
 * engine with the environment transformers uses: {@code trim_blocks}, {@code lstrip_blocks}, and the
 * globals {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token},
 * {@code raise_exception}, {@code strftime_now}.
 *
 * <p>{@code String prompt = template.render(List.of(Message.user("Hi")), true);}
 */
public final class ChatTemplate {
    /** One chat message: role (system / user / assistant) and its text. */
    public record Message(String role, String content) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
        }

        public static Message system(String s) { return new Message("system", s); }

        public static Message user(String s) { return new Message("user", s); }

        public static Message assistant(String s) { return new Message("assistant", s); }
    }

    private static final Jinjava JINJA = createEngine();

    private final String source;
    private final String bosToken, eosToken;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = jinjavaCompatible(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** The template of a model directory's {@code tokenizer_config.json}, if it has one. */
    public static Optional<ChatTemplate> load(Path dir, Tokenizer tokenizer) {
        if (dev.auris.io.Gguf.isGguf(dir)) return fromGguf(dir);
        Path cfg = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(cfg)) return Optional.empty();
        try {
            JsonNode c = new ObjectMapper().readTree(cfg.toFile());
            JsonNode t = c.path("chat_template");
            String src = null;
            if (t.isTextual()) src = t.asText();
            else if (t.isArray()) for (JsonNode n : t) if (n.path("name").asText().equals("default")) src = n.path("template").asText();
            if (src == null) return Optional.empty();
            return Optional.of(new ChatTemplate(src, token(c.path("bos_token")), token(c.path("eos_token"))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cfg + ": " + e.getMessage(), e);
        }
    }

    private static String token(JsonNode n) {
        return n.isObject() ? n.path("content").asText(null) : n.isTextual() ? n.asText() : null;
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>();
        List<Map<String, Object>> ms = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> mm = new HashMap<>();
            mm.put("role", m.role());
            mm.put("content", m.content());
            ms.add(mm);
        }
        ctx.put("messages", ms);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RenderResult r = JINJA.renderForResult(source, ctx);
        if (!r.getErrors().isEmpty()) {
            var e = r.getErrors().getFirst();
            String msg = e.getMessage();
            for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                if (c.getMessage() != null && c.getMessage().startsWith("chat template: ")) msg = c.getMessage().substring(15);
            }
            throw new IllegalArgumentException("chat template failed: " + msg + (e.getLineno() > 0 ? " (template line " + e.getLineno() + ")" : ""));
        }
        return r.getOutput();
    }

    /**
     * Jinjava binds a filter tighter than a named argument ({@code namespace(n=messages|length - 1)} would
     * filter the argument object): parenthesise every named-argument value of {@code namespace(...)}, which
     * leaves its meaning in Jinja2 unchanged. Jinjava also lacks extended slices: {@code x[::-1]} becomes
     * {@code (x|reverse)}.
     */
    static String jinjavaCompatible(String src) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int at = src.indexOf("namespace(", i);
            if (at < 0) break;
            int open = at + "namespace(".length();
            int depth = 1, j = open;
            List<String> args = new ArrayList<>();
            int argStart = open;
            for (; j < src.length() && depth > 0; j++) {
                char c = src.charAt(j);
                if (c == '(' || c == '[') depth++;
                else if (c == ')' || c == ']') depth--;
                if ((c == ',' && depth == 1) || depth == 0) {
                    args.add(src.substring(argStart, j));
                    argStart = j + 1;
                }
            }
            out.append(src, i, open);
            for (int k = 0; k < args.size(); k++) {
                String a = args.get(k);
                int eq = a.indexOf('=');
                if (k > 0) out.append(',');
                out.append(eq > 0 && a.charAt(eq + 1) != '=' ? a.substring(0, eq + 1) + "(" + a.substring(eq + 1) + ")" : a);
            }
            out.append(')');
            i = j;
        }
        // Jinjava has no extended slices: x[::-1] is x|reverse
        return out.append(src.substring(i)).toString().replaceAll("([A-Za-z_][\\w.]*)\\[::-1\\]", "($1|reverse)");
    }

    private static Jinjava createEngine() {
        jinjava.javax.el.CompositeELResolver resolver = new jinjava.javax.el.CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).withElResolver(resolver)
                .withLegacyOverrides(com.hubspot.jinjava.LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)   // {{- ... -}} trims as in Jinja2
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        return j;
    }

    /** A GGUF file's {@code tokenizer.chat_template}, its BOS / EOS pieces from {@code tokenizer.ggml.tokens}. */
    private static Optional<ChatTemplate> fromGguf(Path file) {
        try (dev.auris.io.Gguf g = dev.auris.io.Gguf.open(file)) {
            java.util.List<?> tokens = g.array("tokenizer.ggml.tokens");
            java.util.function.Function<String, String> piece = key -> {
                long id = g.integer(key).orElse(-1);
                return id >= 0 && id < tokens.size() ? String.valueOf(tokens.get((int) id)) : "";
            };
            return g.string("tokenizer.chat_template").map(src -> new ChatTemplate(src, piece.apply("tokenizer.ggml.bos_token_id"), piece.apply("tokenizer.ggml.eos_token_id")));
        }
    }

    public static String raiseException(String message) {
        throw new IllegalArgumentException("chat template: " + message);
    }

    /** The strftime subset templates use for dates (%d %b %Y, %Y-%m-%d). */
    public static String strftimeNow(String format) {
        String f = format.replace("%d", "dd").replace("%b", "MMM").replace("%B", "MMMM").replace("%Y", "yyyy").replace("%m", "MM");
        return LocalDate.now().format(DateTimeFormatter.ofPattern(f, Locale.ENGLISH));
    }
}
