package org.slim4j.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;
import org.slim4j.util.BadInputException;

/**
 * A model's chat template: the Jinja program in tokenizer_config.json's {@code chat_template} (or chat_template.jinja,
 * or a GGUF's {@code tokenizer.chat_template}) that turns messages into the prompt text the model was tuned on. It runs
 * as Hugging Face runs it (trim_blocks, lstrip_blocks, {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt}, {@code raise_exception}, {@code strftime_now}, Python's str methods) on Jinjava.
 * A model without a template gets ChatML, as llama.cpp's server does.
 */
public final class ChatTemplate {
    /** ChatML (<|im_start|>role ... <|im_end|>), the fallback for models that carry no template. */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final Jinjava JINJA = jinja();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final String source;
    private final boolean fallback;

    private ChatTemplate(String template, String bosToken, String eosToken, String source, boolean fallback) {
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.source = source;
        this.fallback = fallback;
    }

    /** A template given as text; {@code source} names where it came from in error messages. */
    public static ChatTemplate of(String template, String bosToken, String eosToken, String source) {
        if (template == null || template.isBlank()) throw new BadInputException(source, "chat_template", "empty template");
        return new ChatTemplate(template, bosToken, eosToken, source, false);
    }

    /** ChatML, for a model that has no template of its own. */
    public static ChatTemplate chatMl(String bosToken, String eosToken) {
        return new ChatTemplate(CHATML, bosToken, eosToken, "built-in ChatML", true);
    }

    /**
     * The template of a Hugging Face folder: chat_template.jinja, else tokenizer_config.json's {@code chat_template}
     * (a string, or a list of named templates of which "default" is taken); ChatML when the folder has neither.
     */
    public static ChatTemplate fromHfFolder(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        String bos = null, eos = null, template = null, source = null;
        if (Files.isRegularFile(config)) {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(config.toFile());
            } catch (IOException e) {
                throw new BadInputException(config, "tokenizer_config.json", "not valid JSON");
            }
            bos = tokenText(root.get("bos_token"));
            eos = tokenText(root.get("eos_token"));
            JsonNode t = root.get("chat_template");
            if (t != null && t.isTextual()) {
                template = t.asText();
            } else if (t != null && t.isArray()) {
                for (JsonNode named : t) {
                    if (named.path("name").asText().equals("default")) template = named.path("template").asText(null);
                }
                if (template == null) throw new BadInputException(config, "chat_template", "a list of templates without one named 'default'");
            } else if (t != null && !t.isNull()) {
                throw new BadInputException(config, "chat_template", "expected a string or a list of {name, template}");
            }
            source = config + " chat_template";
        }
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                template = Files.readString(jinja, StandardCharsets.UTF_8);
                source = jinja.toString();
            } catch (IOException e) {
                throw new BadInputException(jinja, "chat_template.jinja", "cannot read: " + e.getMessage());
            }
        }
        return template == null ? chatMl(bos, eos) : of(template, bos, eos, source);
    }

    /** Prompt text for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's reply begins. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", msgs);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult r;
        RAISED.remove();
        try {
            r = JINJA.renderForResult(template, context);
        } catch (RuntimeException e) {
            if (RAISED.get() != null) throw refused();
            throw new BadInputException(source, "chat_template", "cannot run: " + e.getMessage());
        }
        if (RAISED.get() != null) throw refused();
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new BadInputException(source, "chat_template", "line " + e.getLineno() + ": " + e.getMessage());
            }
        }
        return r.getOutput();
    }

    /** True for the built-in ChatML used because the model has no template. */
    public boolean isFallback() {
        return fallback;
    }

    public String source() {
        return source;
    }

    public String text() {
        return template;
    }

    private static IllegalArgumentException refused() {
        String why = RAISED.get();
        RAISED.remove();
        return new IllegalArgumentException("the chat template refused the messages: " + why);
    }

    /** bos_token/eos_token: a string, or an AddedToken object with its text in "content". */
    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        return n.path("content").isTextual() ? n.path("content").asText() : null;
    }

    /** The message of raise_exception during this thread's render (Jinjava wraps what a function throws). */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** raise_exception(msg): the template's way of refusing messages (e.g. roles that do not alternate). */
    public static Object raiseException(String message) {
        RAISED.set(message);
        throw new IllegalArgumentException(message);
    }

    /** strftime_now(format): today's date, for templates that print it (Llama 3.1's system preamble). */
    public static String strftimeNow(String format) {
        StringBuilder java = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                java.append(c == '\'' ? "''" : "'" + c + "'");
                continue;
            }
            char f = format.charAt(++i);
            java.append(switch (f) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case '%' -> "'%'";
                default -> "'%" + f + "'";
            });
        }
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern(java.toString(), Locale.ENGLISH));
    }

    private static Jinjava jinja() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaConfig.newBuilder().build().getElResolver());
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        return j;
    }
}
