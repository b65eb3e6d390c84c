package org.slim4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slim4j.Slim4j;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Encoder;
import org.slim4j.model.Generation;
import org.slim4j.model.GenerationOptions;
import org.slim4j.model.chat.ChatMessage;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.testutil.Fixtures;

/**
 * slim4j serve with OpenAI's own Java SDK as the client: chat (blocking and streamed with usage), completions,
 * embeddings (float and base64) and models give what the in-process engines give; bad requests get OpenAI's error
 * shape and leave the server running.
 */
class ServerTest {
    static final String LLM = Fixtures.SHARED.resolve("models/trained-llama-50m").toString();
    static Slim4jServer server;
    static OpenAIClient client;
    static CausalLM lm;
    static Encoder encoder;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() {
        EngineOptions engine = EngineOptions.defaults().withThreads(2);
        server = Slim4jServer.start(List.of(ServedModel.load("llm=" + LLM, engine), ServedModel.load("all-minilm-l6-v2", engine)),
                Slim4jServer.Options.defaults().withPort(0));
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused").maxRetries(0).build();
        lm = Slim4j.loadCausalLM(LLM, engine);
        encoder = Slim4j.loadEncoder("all-minilm-l6-v2", engine);
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        lm.close();
        encoder.close();
    }

    @Test
    void chatBlockingAndStreamedWithUsage() {
        Generation expected = lm.chat(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Where is the city?")),
                GenerationOptions.greedy(16), null);
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("llm").addSystemMessage("Be brief.")
                .addUserMessage("Where is the city?").maxCompletionTokens(16).temperature(0.0).build();
        ChatCompletion c = client.chat().completions().create(params);
        assertEquals(expected.text(), c.choices().get(0).message().content().orElseThrow());
        assertEquals(expected.finishReason().openAi(), c.choices().get(0).finishReason().asString());
        assertEquals(expected.promptTokens(), c.usage().orElseThrow().promptTokens());
        assertEquals(expected.completionTokens(), c.usage().orElseThrow().completionTokens());

        StringBuilder streamed = new StringBuilder();
        List<Long> usage = new ArrayList<>();
        int[] pieces = {0};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params.toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(t -> {
                    streamed.append(t);
                    pieces[0]++;
                }));
                chunk.usage().ifPresent(u -> usage.add(u.totalTokens()));
            });
        }
        assertEquals(expected.text(), streamed.toString());
        assertTrue(pieces[0] > 3, "streamed in pieces: " + pieces[0]);
        assertEquals(List.of((long) expected.totalTokens()), usage);
    }

    @Test
    void completionsWithStopStrings() {
        String full = lm.generate("The history of the city", GenerationOptions.greedy(24));
        String stop = full.substring(full.indexOf(' ', 4), full.indexOf(' ', 4) + 3);
        Completion c = client.completions().create(CompletionCreateParams.builder().model("llm").prompt("The history of the city")
                .maxTokens(24).temperature(0.0).stop(stop).build());
        assertEquals(full.substring(0, full.indexOf(stop)), c.choices().get(0).text());
        assertEquals("stop", c.choices().get(0).finishReason().asString());
    }

    @Test
    void embeddingsAreTheEncodersNormalizedVectors() throws Exception {
        List<String> texts = List.of("A man is playing a guitar.", "A woman is slicing an onion.", "Le chat dort.");
        float[][] want = encoder.embed(texts);
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model("all-minilm-l6-v2")
                .inputOfArrayOfStrings(texts).encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
        assertEquals(3, r.data().size());
        for (int i = 0; i < 3; i++) {
            List<Float> got = r.data().get(i).embedding();
            double norm = 0;
            for (int d = 0; d < want[i].length; d++) {
                assertEquals(want[i][d], got.get(d), 1e-6);
                norm += got.get(d) * got.get(d);
            }
            assertEquals(1.0, norm, 1e-4);
        }
        assertTrue(r.usage().promptTokens() > 10);
        // the SDK's default asks for base64; check the raw bytes too
        CreateEmbeddingResponse b = client.embeddings().create(EmbeddingCreateParams.builder().model("all-minilm-l6-v2").input(texts.get(0)).build());
        assertEquals(want[0][5], b.data().get(0).embedding().get(5), 1e-6);
        JsonNode raw = post("/v1/embeddings", "{\"input\": \"A man is playing a guitar.\", \"encoding_format\": \"base64\"}").body;
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(raw.at("/data/0/embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        for (int d = 0; d < want[0].length; d++) assertEquals(want[0][d], bytes.getFloat(), 0f);
    }

    @Test
    void modelsHealthAndTokenize() throws Exception {
        List<String> ids = client.models().list().data().stream().map(m -> m.id()).toList();
        assertEquals(List.of("llm", "all-minilm-l6-v2"), ids);
        assertEquals("ok", get("/health").body.path("status").asText());
        JsonNode t = post("/tokenize", "{\"model\": \"llm\", \"content\": \"The city\"}").body;
        assertEquals(lm.tokenizer().encode("The city", false).length, t.path("tokens").size());
    }

    @Test
    void badRequestsGetOpenAiErrorsAndTheServerStaysUp() throws Exception {
        assertThrows(NotFoundException.class, () -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("nope").addUserMessage("hi").build()));
        var e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("llm").addUserMessage("hi").temperature(7.0).build()));
        assertEquals("temperature", e.param().orElseThrow());
        Reply r = post("/v1/embeddings", "{\"input\": [\"ok\", 3]}");
        assertEquals(400, r.status);
        assertEquals("invalid_request_error", r.body.at("/error/type").asText());
        assertEquals(400, post("/v1/chat/completions", "{not json").status);
        assertEquals(400, post("/v1/embeddings", "{\"model\": \"llm\", \"input\": \"x\"}").status); // a decoder
        Reply tooLong = post("/v1/completions", "{\"model\": \"llm\", \"prompt\": \"" + "word ".repeat(3000) + "\"}");
        assertEquals(400, tooLong.status);
        assertEquals("context_length_exceeded", tooLong.body.at("/error/code").asText());
        Reply tooBig = post("/v1/embeddings", "{\"input\": \"" + "a".repeat(9 << 20) + "\"}");
        assertEquals(413, tooBig.status);
        assertEquals(405, HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/embeddings")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        // a client that leaves mid-stream: the server drops its generation and keeps serving
        HttpRequest streaming = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"llm\", \"prompt\": \"The\", \"max_tokens\": 500, \"stream\": true}")).build();
        try (var lines = HTTP.send(streaming, HttpResponse.BodyHandlers.ofLines()).body()) {
            assertTrue(lines.findFirst().orElseThrow().startsWith("data: {"));
        }
        assertEquals(200, get("/health").status);
        assertFalse(client.chat().completions().create(ChatCompletionCreateParams.builder().model("llm").addUserMessage("hi")
                .maxCompletionTokens(2).build()).choices().isEmpty());
    }

    record Reply(int status, JsonNode body) {}

    static Reply post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    static Reply get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }
}
