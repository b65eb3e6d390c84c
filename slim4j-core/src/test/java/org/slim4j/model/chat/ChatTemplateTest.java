package org.slim4j.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.util.BadInputException;

/**
 * Chat templates as published in models' tokenizer_config.json files, rendered as transformers' apply_chat_template
 * renders them (the expected prompts are the model cards' documented formats).
 */
class ChatTemplateTest {
    /** Meta-Llama-3-8B-Instruct's template (tokenizer_config.json), with its filter `trim`. */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    /** Mistral-7B-Instruct-v0.1's template: alternating roles enforced with raise_exception. */
    static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    /** SmolLM2-Instruct's: ChatML with a default system message, written with block tags over several lines. */
    static final String SMOLLM2 = """
            {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
            ' + message['content'] + '<|im_end|>' + '
            '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
            ' }}{% endif %}""";

    /** Python string methods as templates use them (Qwen's and DeepSeek's templates split and strip content). */
    static final String PYTHONIC = "{% for m in messages %}{% if m.content.startswith('/') %}cmd:{{ m.content.lstrip('/').upper() }}"
            + "{% else %}{{ m.role.title() }}: {{ m.content.split('</think>')[-1].strip() }}{% endif %}\n{% endfor %}";

    @Test
    void llama3() {
        ChatTemplate t = ChatTemplate.of(LLAMA3, "<|begin_of_text|>", "<|eot_id|>", "test");
        String p = t.render(List.of(ChatMessage.system("You are helpful. "), ChatMessage.user("Hi")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", p);
        String noPrompt = t.render(List.of(ChatMessage.user("Hi")), false);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", noPrompt);
    }

    @Test
    void mistralAndItsRefusal() {
        ChatTemplate t = ChatTemplate.of(MISTRAL, "<s>", "</s>", "test");
        assertEquals("<s>[INST] Hi [/INST]Hello</s>[INST] How? [/INST]",
                t.render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello"), ChatMessage.user("How?")), true));
        var e = assertThrows(IllegalArgumentException.class, () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void smolLm2() {
        ChatTemplate t = ChatTemplate.of(SMOLLM2, "<|im_start|>", "<|im_end|>", "test");
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", t.render(List.of(ChatMessage.user("What is 2+2?")), true));
    }

    @Test
    void pythonStringMethods() {
        ChatTemplate t = ChatTemplate.of(PYTHONIC, "", "", "test");
        // trim_blocks drops the newline after each block tag, as in transformers
        assertEquals("User: answercmd:RESETAssistant: done", t.render(List.of(ChatMessage.user("  answer "),
                ChatMessage.user("/reset"), ChatMessage.assistant("<think>hmm</think> done")), false));
    }

    @Test
    void chatMlFallbackAndHfFolders(@TempDir Path dir) throws Exception {
        ChatTemplate none = ChatTemplate.fromHfFolder(dir);
        assertTrue(none.isFallback());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", none.render(List.of(ChatMessage.user("Hi")), true));

        // a named list (as some tokenizer_config.json files carry), AddedToken objects for bos/eos
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": %s}]}
                """.formatted(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(MISTRAL)));
        ChatTemplate t = ChatTemplate.fromHfFolder(dir);
        assertEquals("<s>[INST] Hi [/INST]", t.render(List.of(ChatMessage.user("Hi")), true));

        // chat_template.jinja, newer transformers' file, wins over the config's string
        Files.writeString(dir.resolve("chat_template.jinja"), LLAMA3);
        assertTrue(ChatTemplate.fromHfFolder(dir).render(List.of(ChatMessage.user("Hi")), true).startsWith("<s><|start_header_id|>user"));
    }

    @Test
    void badTemplatesNameTheirFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 42}");
        var e = assertThrows(BadInputException.class, () -> ChatTemplate.fromHfFolder(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("chat_template"), e.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{% for m in messages %}{{ m.content \"}");
        var bad = assertThrows(BadInputException.class, () -> ChatTemplate.fromHfFolder(dir).render(List.of(ChatMessage.user("Hi")), true));
        assertTrue(bad.getMessage().contains("chat_template"), bad.getMessage());
    }
}
