package org.slim4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Generation;
import org.slim4j.model.GenerationOptions;

/**
 * Slim4jChatModel and Slim4jStreamingChatModel on the shared trained 50M Llama (a base model trained on the King James
 * Bible, Shakespeare, the Python docs and fortunes; no chat template, so ChatML). It is no assistant, so the tests
 * check mechanics against the core decoder: AiServices replies are the core's greedy chat replies, streamed pieces
 * concatenate to the final message, usage is the core's token count, max tokens and stop strings are honoured.
 */
class Slim4jChatModelTest {
    private static final Path MODEL = Shared.DIR.resolve("models/trained-llama-50m");
    private static final int MAX = 24;

    private static Slim4jChatModel chat;
    private static Slim4jStreamingChatModel streaming;
    private static CausalLM core;

    @BeforeAll
    static void load() {
        chat = Slim4jChatModel.builder().modelPath(MODEL).maxOutputTokens(MAX).build();
        core = chat.causalLM();
        streaming = Slim4jStreamingChatModel.builder().causalLM(core).maxOutputTokens(MAX).build(); // shares the decoder
    }

    @AfterAll
    static void close() {
        streaming.close();
        chat.close();
    }

    private static Generation coreChat(List<org.slim4j.model.chat.ChatMessage> messages, GenerationOptions o) {
        return core.chat(messages, o, null);
    }

    interface Assistant {
        @dev.langchain4j.service.SystemMessage("You are a preacher of the King James Bible.")
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    @Test
    void aiServicesChatIsTheCoreDecodersGreedyReplyWithMemory() {
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(chat)
                .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
        String first = assistant.chat("And God said unto Moses,");
        String system = "You are a preacher of the King James Bible.";
        var turn1 = List.of(org.slim4j.model.chat.ChatMessage.system(system), org.slim4j.model.chat.ChatMessage.user("And God said unto Moses,"));
        assertEquals(coreChat(turn1, GenerationOptions.greedy(MAX)).text(), first);
        assertFalse(first.isBlank(), "a reply");

        String second = assistant.chat("What did he say next?");
        var turn2 = new ArrayList<>(turn1);
        turn2.add(org.slim4j.model.chat.ChatMessage.assistant(first));
        turn2.add(org.slim4j.model.chat.ChatMessage.user("What did he say next?"));
        assertEquals(coreChat(turn2, GenerationOptions.greedy(MAX)).text(), second, "the memory's conversation, rendered by the template");
        System.out.println("AiServices reply 1: " + first.replace("\n", "\\n"));
        System.out.println("AiServices reply 2: " + second.replace("\n", "\\n"));
    }

    @Test
    void usageFinishReasonAndMaxTokens() {
        var user = UserMessage.from("Beautiful is better than ugly.");
        for (int max : new int[] {1, 5, 12}) {
            ChatResponse r = chat.chat(ChatRequest.builder().messages(user).maxOutputTokens(max).build());
            Generation g = coreChat(List.of(org.slim4j.model.chat.ChatMessage.user("Beautiful is better than ugly.")), GenerationOptions.greedy(max));
            assertEquals(g.text(), r.aiMessage().text());
            assertEquals(core.chatIds(List.of(org.slim4j.model.chat.ChatMessage.user("Beautiful is better than ugly."))).length,
                    r.tokenUsage().inputTokenCount(), "prompt tokens: the rendered conversation's");
            int out = r.tokenUsage().outputTokenCount();
            assertTrue(out <= max, out + " tokens for max " + max);
            assertEquals(r.finishReason() == FinishReason.LENGTH, out == max, "LENGTH exactly when the limit was reached");
            assertEquals(g.completionTokens(), out);
            assertEquals(r.tokenUsage().inputTokenCount() + out, r.tokenUsage().totalTokenCount());
        }
    }

    @Test
    void stopStringsEndTheReplyBeforeThem() {
        var user = UserMessage.from("Now is the winter of our discontent");
        String full = chat.chat(ChatRequest.builder().messages(user).maxOutputTokens(40).build()).aiMessage().text();
        assertTrue(full.length() > 20, "a long enough reply to cut: '" + full + "'");
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        int at = full.indexOf(stop);
        ChatResponse r = chat.chat(ChatRequest.builder().messages(user).maxOutputTokens(40).stopSequences(List.of(stop)).build());
        assertEquals(full.substring(0, at), r.aiMessage().text(), "the reply up to the stop string '" + stop + "'");
        assertEquals(FinishReason.STOP, r.finishReason());
        assertTrue(r.tokenUsage().outputTokenCount() < 40);
    }

    @Test
    void seededSamplingRepeatsAndSeedsDiffer() {
        var user = UserMessage.from("Thou shalt");
        Set<String> texts = new HashSet<>();
        for (long seed = 1; seed <= 3; seed++) {
            ChatRequest req = ChatRequest.builder().messages(user)
                    .parameters(Slim4jChatRequestParameters.builder().temperature(1.0).topP(0.95).seed(seed).maxOutputTokens(16).build()).build();
            String a = chat.chat(req).aiMessage().text();
            assertEquals(a, chat.chat(req).aiMessage().text(), "seed " + seed + " twice");
            var o = new GenerationOptions(16, 1.0, 0, 0.95, seed);
            assertEquals(coreChat(List.of(org.slim4j.model.chat.ChatMessage.user("Thou shalt")), o).text(), a, "the core's sample for seed " + seed);
            texts.add(a);
        }
        assertTrue(texts.size() >= 2, "three seeds, one text: " + texts);
    }

    @Test
    void unsupportedRequestsAreRefused() {
        ToolSpecification tool = ToolSpecification.builder().name("weather").description("the weather").build();
        assertThrows(UnsupportedFeatureException.class,
                () -> chat.chat(ChatRequest.builder().messages(UserMessage.from("hi")).toolSpecifications(tool).build()));
        assertThrows(UnsupportedFeatureException.class,
                () -> chat.chat(ChatRequest.builder().messages(UserMessage.from("hi")).frequencyPenalty(0.5).build()));
        String tooLong = "word ".repeat(core.contextLength());
        var e = assertThrows(InvalidRequestException.class, () -> chat.chat(ChatRequest.builder().messages(UserMessage.from(tooLong)).build()));
        assertTrue(e.getMessage().contains("more than the model's context of " + core.contextLength()), e.getMessage());
        assertThrows(InvalidRequestException.class, () -> chat.chat(ChatRequest.builder().messages(UserMessage.from("hi")).temperature(-1.0).build()));
    }

    /** Collects a streamed reply. */
    private static class Collector implements StreamingChatResponseHandler {
        final List<String> pieces = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        int cancelAfter = -1;

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            pieces.add(partial.text());
            if (pieces.size() == cancelAfter) context.streamingHandle().cancel();
        }

        @Override
        public void onPartialResponse(String text) {
            throw new AssertionError("the context variant is the one called");
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }

        ChatResponse await() throws Exception {
            return done.get(5, TimeUnit.MINUTES);
        }
    }

    @Test
    void streamingPiecesConcatenateToTheReply() throws Exception {
        var messages = List.<dev.langchain4j.data.message.ChatMessage>of(SystemMessage.from("Answer in verse."), UserMessage.from("To be, or not to be"));
        Collector c = new Collector();
        streaming.chat(ChatRequest.builder().messages(messages).build(), c);
        ChatResponse r = c.await();
        ChatResponse blocking = chat.chat(ChatRequest.builder().messages(messages).build());
        assertEquals(blocking.aiMessage().text(), r.aiMessage().text(), "streamed and blocking replies agree");
        assertEquals(String.join("", c.pieces), r.aiMessage().text(), "the pieces concatenate to the message");
        assertTrue(c.pieces.size() > 3, "text arrives in pieces: " + c.pieces);
        assertEquals(blocking.tokenUsage(), r.tokenUsage());
        assertEquals(blocking.finishReason(), r.finishReason());
        System.out.println("streamed " + c.pieces.size() + " pieces: " + c.pieces);

        String full = r.aiMessage().text();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        Collector s = new Collector();
        streaming.chat(ChatRequest.builder().messages(messages).stopSequences(List.of(stop)).build(), s);
        ChatResponse rs = s.await();
        assertEquals(full.substring(0, full.indexOf(stop)), rs.aiMessage().text());
        assertEquals(String.join("", s.pieces), rs.aiMessage().text(), "no piece of the stop string is streamed");
        assertEquals(FinishReason.STOP, rs.finishReason());
    }

    @Test
    void streamingErrorsAndCancellation() throws Exception {
        Collector bad = new Collector();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .toolSpecifications(ToolSpecification.builder().name("t").build()).build(), bad);
        var e = assertThrows(java.util.concurrent.ExecutionException.class, bad::await);
        assertInstanceOf(UnsupportedFeatureException.class, e.getCause());
        Collector tooLong = new Collector();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("word ".repeat(core.contextLength()))).build(), tooLong);
        assertInstanceOf(InvalidRequestException.class, assertThrows(java.util.concurrent.ExecutionException.class, tooLong::await).getCause());
        Collector throwing = new Collector() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                throw new IllegalStateException("the handler fails");
            }
        };
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("hi")).build(), throwing);
        assertEquals("the handler fails", assertThrows(java.util.concurrent.ExecutionException.class, throwing::await).getCause().getMessage());

        Collector cancelled = new Collector();
        cancelled.cancelAfter = 2;
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("In the beginning")).build(), cancelled);
        // the decoder is shared and serialised: a request after it completes only once the cancelled one has stopped
        Collector next = new Collector();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("In the beginning")).maxOutputTokens(3).build(), next);
        assertTrue(next.await().tokenUsage().outputTokenCount() <= 3);
        Thread.sleep(200);
        assertEquals(2, cancelled.pieces.size(), "nothing is delivered after cancel()");
        assertFalse(cancelled.done.isDone(), "a cancelled stream neither completes nor fails");
    }

    @Test
    void aiServicesStreamingThroughTokenStream() throws Exception {
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(streaming).build();
        List<String> pieces = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat("The fool doth think he is wise")
                .onPartialResponse(pieces::add)
                .onCompleteResponse(done::complete)
                .onError(done::completeExceptionally)
                .start();
        ChatResponse r = done.get(5, TimeUnit.MINUTES);
        assertEquals(String.join("", pieces), r.aiMessage().text());
        assertEquals(coreChat(List.of(org.slim4j.model.chat.ChatMessage.user("The fool doth think he is wise")), GenerationOptions.greedy(MAX)).text(),
                r.aiMessage().text());
        assertNotEquals(0, r.tokenUsage().outputTokenCount());
    }
}
