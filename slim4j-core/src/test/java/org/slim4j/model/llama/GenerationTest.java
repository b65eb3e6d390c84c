package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slim4j.Slim4j;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Generation;
import org.slim4j.model.GenerationOptions;
import org.slim4j.model.chat.ChatMessage;
import org.slim4j.testutil.Fixtures;
import org.slim4j.tokenizer.TextStream;

/**
 * Streaming generation on a real trained model (trained-llama-50m): the streamed pieces are the decoded tokens of the
 * plain token loop, stop strings cut the text where they first appear, limits and end tokens give OpenAI's reasons.
 */
class GenerationTest {
    static CausalLM lm;

    @BeforeAll
    static void load() {
        lm = Slim4j.loadCausalLM(Fixtures.SHARED.resolve("models/trained-llama-50m").toString());
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void streamedTextIsTheDecodedTokensOfTheTokenLoop() {
        int[] prompt = lm.promptIds("The history of the city");
        int[] tokens = new Generator((Decoder) lm).generate(prompt, 40, Sampler.greedy());
        List<String> pieces = new ArrayList<>();
        Generation g = lm.generate(prompt, GenerationOptions.greedy(40), pieces::add);
        int[] kept = ((Decoder) lm).config().isEos(tokens[tokens.length - 1]) ? Arrays.copyOf(tokens, tokens.length - 1) : tokens;
        assertEquals(lm.tokenizer().decode(kept), g.text());
        assertEquals(g.text(), String.join("", pieces));
        assertTrue(pieces.size() > 10, "streamed in pieces: " + pieces.size());
        assertEquals(kept.length, g.completionTokens());
        assertEquals(prompt.length, g.promptTokens());
        assertEquals(kept.length == 40 ? Generation.FinishReason.LENGTH : Generation.FinishReason.STOP, g.finishReason());
    }

    @Test
    void stopStringsEndTheTextBeforeThem() {
        String full = lm.generate("The history of the city", GenerationOptions.greedy(40), null).text();
        int space = full.indexOf(' ', 3);
        String stop = full.substring(space, space + 3);
        StringBuilder streamed = new StringBuilder();
        Generation g = lm.generate("The history of the city", GenerationOptions.greedy(40).withStop(List.of(stop)), streamed::append);
        assertEquals(full.substring(0, full.indexOf(stop)), g.text());
        assertEquals(g.text(), streamed.toString());
        assertEquals(Generation.FinishReason.STOP, g.finishReason());
    }

    @Test
    void limitsAndCallbackFailures() {
        Generation g = lm.generate("The", GenerationOptions.greedy(3), null);
        assertEquals(3, g.completionTokens());
        assertEquals(Generation.FinishReason.LENGTH, g.finishReason());
        var e = assertThrows(IllegalStateException.class, () -> lm.generate("The", GenerationOptions.greedy(20), t -> {
            throw new IllegalStateException("client went away");
        }));
        assertEquals("client went away", e.getMessage());
        int[] tooLong = new int[lm.contextLength() + 1];
        assertThrows(IllegalArgumentException.class, () -> lm.generate(tooLong, GenerationOptions.greedy(1), null));
    }

    @Test
    void chatUsesTheTemplateAndEndsAtEndOfTurnTokens() {
        List<ChatMessage> messages = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello"));
        String rendered = lm.chatTemplate().render(messages, true);
        assertTrue(rendered.endsWith("<|im_start|>assistant\n"), rendered);
        int[] ids = lm.chatIds(messages);
        assertArrayEquals(lm.tokenizer().encode(rendered, false), ids);
        Generation g = lm.chat(messages, GenerationOptions.greedy(24), null);
        assertFalse(g.text().contains("<|im_end|>"));
        assertTrue(g.completionTokens() > 0);
    }

    @Test
    void textStreamHoldsSplitCharactersBack() {
        String text = "naïve café — 東京 👍 done";
        int[] ids = lm.tokenizer().encode(text, false);
        TextStream s = new TextStream(lm.tokenizer(), new int[0]);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = s.push(id);
            assertFalse(piece.contains("\uFFFD"), "no broken characters in a piece");
            out.append(piece);
        }
        out.append(s.flush());
        assertEquals(lm.tokenizer().decode(ids), out.toString());
        assertTrue(ids.length > text.codePointCount(0, text.length()) / 2, "multi-byte characters span tokens: " + ids.length);
    }
}
