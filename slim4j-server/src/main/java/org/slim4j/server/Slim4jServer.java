package org.slim4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Generation;
import org.slim4j.model.GenerationOptions;
import org.slim4j.model.chat.ChatMessage;
import org.slim4j.model.llama.Decoder;
import org.slim4j.util.BadInputException;

/**
 * An OpenAI-compatible HTTP server over slim4j's engines, on the JDK's own HTTP server (com.sun.net.httpserver, one
 * virtual thread per request): {@code POST /v1/chat/completions} and {@code /v1/completions} (streamed as server-sent
 * events when asked), {@code POST /v1/embeddings}, {@code GET /v1/models}, {@code GET /health} and llama.cpp's
 * {@code POST /tokenize}. Encoder requests from all clients are batched ({@link EmbeddingBatcher}); decoder requests
 * take turns token by token ({@link DecodeScheduler}). Every refusal is a 4xx in OpenAI's error shape, and nothing a
 * request does (bad JSON, a huge body, a client that disconnects, an exception in the engine) stops the server.
 */
public final class Slim4jServer implements AutoCloseable {
    /**
     * @param host         address to bind (127.0.0.1 by default: loopback only)
     * @param port         0 picks a free port
     * @param maxBodyBytes larger request bodies get 413
     * @param parallel     decoder requests generating at once per model (later ones queue)
     * @param maxBatch     texts per encoder batch at most
     */
    public record Options(String host, int port, int maxBodyBytes, int parallel, int maxBatch) {
        public Options {
            if (port < 0 || port > 65535) throw new BadInputException("--port", null, "must be in 0..65535, got " + port);
            if (maxBodyBytes < 1024) throw new BadInputException("--max-body", null, "must be at least 1024 bytes, got " + maxBodyBytes);
            if (parallel < 1 || parallel > 256) throw new BadInputException("--parallel", null, "must be in 1..256, got " + parallel);
            if (maxBatch < 1 || maxBatch > 4096) throw new BadInputException("--batch", null, "must be in 1..4096, got " + maxBatch);
        }

        public static Options defaults() {
            return new Options("127.0.0.1", 8080, 8 << 20, 4, 64);
        }

        public Options withPort(int p) {
            return new Options(host, p, maxBodyBytes, parallel, maxBatch);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_INPUTS = 2048;

    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final Options options;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong requests = new AtomicLong(), failures = new AtomicLong();

    private Slim4jServer(List<ServedModel> served, Options options) throws IOException {
        if (served.isEmpty()) throw new BadInputException("-m", null, "name at least one model to serve");
        this.options = options;
        for (ServedModel m : served) {
            if (models.putIfAbsent(m.id, m) != null) throw new BadInputException("-m", null, "two models are named '" + m.id + "': name them with ID=PATH");
            if (m.isDecoder()) m.scheduler = new DecodeScheduler((Decoder) m.decoder, options.parallel(), m.id);
            else m.batcher = new EmbeddingBatcher(m.encoder, options.maxBatch(), m.id);
        }
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        http.createContext("/", this::handle);
        http.setExecutor(executor);
        http.start();
    }

    /** Starts serving {@code models}; the server owns them and closes them with itself. */
    public static Slim4jServer start(List<ServedModel> models, Options options) {
        try {
            return new Slim4jServer(models, options);
        } catch (IOException e) {
            for (ServedModel m : models) m.close();
            throw new BadInputException("--port", null, "cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage());
        }
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://" + options.host() + ":" + port();
    }

    /** Requests answered and how many of them were errors. */
    public long[] counts() {
        return new long[] {requests.get(), failures.get()};
    }

    @Override
    public void close() {
        http.stop(0);
        for (ServedModel m : models.values()) m.close();
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------- routing

    private void handle(HttpExchange ex) {
        requests.incrementAndGet();
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (path) {
                case "/health", "/v1/health" -> {
                    expect(method, "GET");
                    send(ex, 200, JSON.createObjectNode().put("status", "ok"));
                }
                case "/v1/models", "/models" -> {
                    expect(method, "GET");
                    send(ex, 200, modelList());
                }
                case "/v1/chat/completions", "/chat/completions" -> {
                    expect(method, "POST");
                    completion(ex, body(ex), true);
                }
                case "/v1/completions", "/completions" -> {
                    expect(method, "POST");
                    completion(ex, body(ex), false);
                }
                case "/v1/embeddings", "/embeddings" -> {
                    expect(method, "POST");
                    embeddings(ex, body(ex));
                }
                case "/tokenize" -> {
                    expect(method, "POST");
                    tokenize(ex, body(ex));
                }
                default -> throw ApiError.notFound("no route " + method + " " + path);
            }
        } catch (ApiError e) {
            failures.incrementAndGet();
            error(ex, e);
        } catch (IllegalArgumentException | BadInputException e) {
            failures.incrementAndGet();
            error(ex, ApiError.invalid(null, e.getMessage()));
        } catch (ClientGone e) {
            failures.incrementAndGet();
        } catch (Throwable e) { // the server outlives any one request, out-of-memory included
            failures.incrementAndGet();
            error(ex, new ApiError(500, "server_error", null, null, e.getClass().getSimpleName() + ": " + e.getMessage()));
        } finally {
            ex.close(); // after the error response: a try-with-resources would close before its catch blocks run
        }
    }

    private static void expect(String method, String wanted) {
        if (!method.equals(wanted)) throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "use " + wanted);
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null) {
            long n;
            try {
                n = Long.parseLong(len.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "bad Content-Length");
            }
            if (n > options.maxBodyBytes()) throw tooLarge();
        }
        byte[] buf;
        try (InputStream in = ex.getRequestBody()) {
            buf = in.readNBytes(options.maxBodyBytes() + 1);
        }
        if (buf.length > options.maxBodyBytes()) throw tooLarge();
        try {
            JsonNode n = JSON.readTree(buf);
            if (n == null || !n.isObject()) throw ApiError.invalid(null, "the body must be a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", null, "request_too_large", "the body is over " + options.maxBodyBytes() + " bytes");
    }

    private ObjectNode modelList() {
        ObjectNode o = JSON.createObjectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (ServedModel m : models.values()) {
            ObjectNode e = data.addObject().put("id", m.id).put("object", "model").put("created", created).put("owned_by", "slim4j");
            e.put("kind", m.isDecoder() ? "decoder" : "encoder");
            if (m.isDecoder()) e.put("context_length", m.decoder.contextLength());
            else e.put("dimension", m.encoder.dimension()).put("max_tokens", m.encoder.maxTokens());
        }
        return o;
    }

    /** The model a request names; without a name, the only model of the kind it needs. */
    private ServedModel model(JsonNode req, boolean decoder) {
        JsonNode name = req.get("model");
        if (name != null && !name.isNull()) {
            if (!name.isTextual()) throw ApiError.invalid("model", "model must be a string");
            ServedModel m = models.get(name.asText());
            if (m == null) throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "no model '" + name.asText() + "'; this server has " + models.keySet());
            if (m.isDecoder() != decoder) {
                throw ApiError.invalid("model", "'" + m.id + "' is " + (m.isDecoder() ? "a decoder: use /v1/chat/completions or /v1/completions" : "an encoder: use /v1/embeddings"));
            }
            return m;
        }
        List<ServedModel> kind = models.values().stream().filter(m -> m.isDecoder() == decoder).toList();
        if (kind.size() == 1) return kind.get(0);
        throw ApiError.invalid("model", kind.isEmpty() ? "this server has no " + (decoder ? "decoder" : "encoder") : "name the model: one of " + kind.stream().map(m -> m.id).toList());
    }

    // ---------------------------------------------------------------- embeddings

    private void embeddings(HttpExchange ex, JsonNode req) throws Exception {
        ServedModel m = model(req, false);
        JsonNode input = req.get("input");
        List<String> texts = new ArrayList<>();
        if (input == null || input.isNull()) throw ApiError.invalid("input", "input is required");
        if (input.isTextual()) texts.add(input.asText());
        else if (input.isArray()) {
            for (JsonNode t : input) {
                if (!t.isTextual()) throw ApiError.invalid("input", "input must be a string or an array of strings (token arrays are not accepted: send text)");
                texts.add(t.asText());
            }
        } else throw ApiError.invalid("input", "input must be a string or an array of strings");
        if (texts.isEmpty()) throw ApiError.invalid("input", "input is empty");
        if (texts.size() > MAX_INPUTS) throw ApiError.invalid("input", texts.size() + " inputs, more than " + MAX_INPUTS + " in one request");
        String format = req.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) throw ApiError.invalid("encoding_format", "encoding_format must be float or base64");
        if (req.has("dimensions") && !req.get("dimensions").isNull() && req.get("dimensions").asInt() != m.encoder.dimension()) {
            throw ApiError.invalid("dimensions", "this model's embeddings have " + m.encoder.dimension() + " dimensions");
        }
        long tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).isEmpty()) throw ApiError.invalid("input", "input[" + i + "] is empty");
            int n = m.encoder.tokenizer().encode(texts.get(i), true).length;
            if (n > m.encoder.maxTokens()) {
                throw new ApiError(400, "invalid_request_error", "input", "context_length_exceeded", "input[" + i + "] has " + n
                        + " tokens, more than the model's " + m.encoder.maxTokens());
            }
            tokens += n;
        }
        float[][] rows;
        try {
            rows = m.batcher.submit(texts).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : new IllegalStateException(e.getCause());
        }
        ObjectNode o = JSON.createObjectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (int i = 0; i < rows.length; i++) {
            ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(rows[i].length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : rows[i]) b.putFloat(v);
                e.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode v = e.putArray("embedding");
                for (float x : rows[i]) v.add(x);
            }
        }
        o.put("model", m.id);
        o.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        send(ex, 200, o);
    }

    // ---------------------------------------------------------------- tokenize

    private void tokenize(HttpExchange ex, JsonNode req) throws IOException {
        JsonNode name = req.get("model");
        ServedModel m = name != null && name.isTextual() ? models.get(name.asText()) : models.values().iterator().next();
        if (m == null) throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "no model '" + name.asText() + "'");
        JsonNode content = req.get("content");
        if (content == null || !content.isTextual()) throw ApiError.invalid("content", "content must be a string");
        boolean special = req.path("add_special").asBoolean(false);
        int[] ids = (m.isDecoder() ? m.decoder.tokenizer() : m.encoder.tokenizer()).encode(content.asText(), special);
        ObjectNode o = JSON.createObjectNode();
        ArrayNode t = o.putArray("tokens");
        for (int id : ids) t.add(id);
        send(ex, 200, o);
    }

    // ---------------------------------------------------------------- completions

    private void completion(HttpExchange ex, JsonNode req, boolean chat) throws Exception {
        ServedModel m = model(req, true);
        CausalLM lm = m.decoder;
        int[] prompt = chat ? lm.chatIds(messages(req)) : prompt(req, lm);
        if (prompt.length == 0) throw ApiError.invalid(chat ? "messages" : "prompt", "the prompt is empty");
        if (prompt.length >= lm.contextLength()) {
            throw new ApiError(400, "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded", "the prompt has " + prompt.length
                    + " tokens; the model's context is " + lm.contextLength());
        }
        GenerationOptions o = options(req, lm.contextLength() - prompt.length);
        boolean stream = req.path("stream").asBoolean(false);
        boolean usage = req.path("stream_options").path("include_usage").asBoolean(false);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long now = System.currentTimeMillis() / 1000;
        DecodeScheduler.Ticket ticket = m.scheduler.submit(prompt, o);
        try {
            if (stream) streamCompletion(ex, ticket, chat, id, now, m.id, usage);
            else send(ex, 200, finalCompletion(waitDone(ticket), chat, id, now, m.id));
        } finally {
            ticket.cancel();
        }
    }

    private static Generation waitDone(DecodeScheduler.Ticket t) throws InterruptedException {
        while (true) {
            DecodeScheduler.Event e = t.next();
            if (e instanceof DecodeScheduler.Done d) return d.generation();
            if (e instanceof DecodeScheduler.Failed f) throw f.error();
        }
    }

    private void streamCompletion(HttpExchange ex, DecodeScheduler.Ticket t, boolean chat, String id, long now, String model, boolean usage)
            throws InterruptedException {
        // the first event decides between an error response and a stream: a refusal (a template error) stays a 4xx
        DecodeScheduler.Event first = t.next();
        if (first instanceof DecodeScheduler.Failed f) throw f.error();
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        OutputStream out;
        try {
            ex.sendResponseHeaders(200, 0);
            out = ex.getResponseBody();
        } catch (IOException e) {
            throw new ClientGone();
        }
        if (chat) event(out, chunk(chat, id, now, model).set("choices", JSON.createArrayNode().add(choice(chat, "", true, null))));
        DecodeScheduler.Event e = first;
        while (true) {
            if (e instanceof DecodeScheduler.Text text) {
                event(out, chunk(chat, id, now, model).set("choices", JSON.createArrayNode().add(choice(chat, text.text(), false, null))));
            } else if (e instanceof DecodeScheduler.Done d) {
                Generation g = d.generation();
                event(out, chunk(chat, id, now, model).set("choices", JSON.createArrayNode().add(choice(chat, chat ? null : "", false, g.finishReason().openAi()))));
                if (usage) {
                    ObjectNode u = chunk(chat, id, now, model);
                    u.putArray("choices");
                    u.set("usage", usage(g));
                    event(out, u);
                }
                write(out, "data: [DONE]\n\n");
                return;
            } else if (e instanceof DecodeScheduler.Failed f) {
                // headers are gone: report in the stream, as OpenAI's servers do
                ObjectNode err = JSON.createObjectNode();
                err.putObject("error").put("message", f.error().getMessage()).put("type", "server_error");
                event(out, err);
                return;
            }
            e = t.next();
        }
    }

    private ObjectNode chunk(boolean chat, String id, long now, String model) {
        return JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", now).put("model", model).put("system_fingerprint", "slim4j");
    }

    private ObjectNode choice(boolean chat, String text, boolean role, String finish) {
        ObjectNode c = JSON.createObjectNode().put("index", 0);
        if (chat) {
            ObjectNode delta = c.putObject("delta");
            if (role) delta.put("role", "assistant");
            if (text != null) delta.put("content", text);
        } else {
            c.put("text", text);
        }
        c.putNull("logprobs");
        if (finish == null) c.putNull("finish_reason");
        else c.put("finish_reason", finish);
        return c;
    }

    private ObjectNode finalCompletion(Generation g, boolean chat, String id, long now, String model) {
        ObjectNode o = JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
                .put("created", now).put("model", model).put("system_fingerprint", "slim4j");
        ObjectNode c = o.putArray("choices").addObject().put("index", 0);
        if (chat) c.putObject("message").put("role", "assistant").put("content", g.text()).putNull("refusal");
        else c.put("text", g.text());
        c.putNull("logprobs");
        c.put("finish_reason", g.finishReason().openAi());
        o.set("usage", usage(g));
        return o;
    }

    private static ObjectNode usage(Generation g) {
        return JSON.createObjectNode().put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens()).put("total_tokens", g.totalTokens());
    }

    private static List<ChatMessage> messages(JsonNode req) {
        JsonNode ms = req.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) throw ApiError.invalid("messages", "messages must be a non-empty array");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String role = m.path("role").asText("");
            if (role.equals("developer")) role = "system";
            if (!role.equals("system") && !role.equals("user") && !role.equals("assistant") && !role.equals("tool")) {
                throw ApiError.invalid("messages[" + i + "].role", "role must be system, developer, user, assistant or tool, got '" + role + "'");
            }
            JsonNode content = m.get("content");
            String text;
            if (content == null || content.isNull()) text = "";
            else if (content.isTextual()) text = content.asText();
            else if (content.isArray()) {
                StringBuilder b = new StringBuilder();
                for (JsonNode part : content) {
                    if (!part.path("type").asText().equals("text")) {
                        throw ApiError.invalid("messages[" + i + "].content", "only text parts are supported, got '" + part.path("type").asText() + "'");
                    }
                    b.append(part.path("text").asText());
                }
                text = b.toString();
            } else throw ApiError.invalid("messages[" + i + "].content", "content must be a string or an array of text parts");
            out.add(new ChatMessage(role, text));
        }
        return out;
    }

    private static int[] prompt(JsonNode req, CausalLM lm) {
        JsonNode p = req.get("prompt");
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) p = p.get(0);
        if (p != null && p.isTextual()) return lm.promptIds(p.asText());
        if (p != null && p.isArray() && !p.isEmpty() && p.get(0).isInt()) {
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode t = p.get(i);
                if (!t.isInt() || t.asInt() < 0 || t.asInt() >= lm.vocabSize()) throw ApiError.invalid("prompt", "prompt[" + i + "] is not a token id of this model");
                ids[i] = t.asInt();
            }
            return ids;
        }
        throw ApiError.invalid("prompt", "prompt must be a string, an array of one string or an array of token ids");
    }

    /** OpenAI's sampling fields, checked; generation defaults to the rest of the context. */
    private static GenerationOptions options(JsonNode req, int room) {
        if (req.has("n") && req.get("n").asInt(1) != 1) throw ApiError.invalid("n", "only n = 1 is supported");
        JsonNode mt = req.has("max_completion_tokens") ? req.get("max_completion_tokens") : req.get("max_tokens");
        int max = room;
        if (mt != null && !mt.isNull()) {
            if (!mt.canConvertToInt() || mt.asInt() < 1) throw ApiError.invalid("max_tokens", "max_tokens must be an integer >= 1");
            max = Math.min(mt.asInt(), room);
        }
        double temperature = number(req, "temperature", 1.0, 0, 2);
        double topP = number(req, "top_p", 1.0, Double.MIN_VALUE, 1);
        int topK = req.has("top_k") ? (int) number(req, "top_k", 0, 0, Integer.MAX_VALUE) : 0;
        long seed = req.has("seed") && !req.get("seed").isNull() ? req.get("seed").asLong() : System.nanoTime();
        if (req.has("seed") && !req.get("seed").isNull() && !req.get("seed").isIntegralNumber()) throw ApiError.invalid("seed", "seed must be an integer");
        List<String> stop = new ArrayList<>();
        JsonNode s = req.get("stop");
        if (s != null && s.isTextual()) stop.add(s.asText());
        else if (s != null && s.isArray()) for (JsonNode x : s) {
            if (!x.isTextual()) throw ApiError.invalid("stop", "stop must be a string or an array of strings");
            stop.add(x.asText());
        }
        else if (s != null && !s.isNull()) throw ApiError.invalid("stop", "stop must be a string or an array of strings");
        if (stop.size() > 16) throw ApiError.invalid("stop", "at most 16 stop strings");
        if (stop.stream().anyMatch(String::isEmpty)) throw ApiError.invalid("stop", "a stop string must not be empty");
        return new GenerationOptions(max, temperature, topK, topP, seed, stop);
    }

    private static double number(JsonNode req, String field, double dflt, double min, double max) {
        JsonNode n = req.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber() || !(n.asDouble() >= min && n.asDouble() <= max)) throw ApiError.invalid(field, field + " must be a number in [" + (min == Double.MIN_VALUE ? "0 exclusive" : min) + ", " + max + "]");
        return n.asDouble();
    }

    // ---------------------------------------------------------------- responses

    /** The client closed its connection mid-response. */
    private static final class ClientGone extends RuntimeException {
        ClientGone() {
            super(null, null, false, false);
        }
    }

    private static void event(OutputStream out, ObjectNode o) {
        try {
            write(out, "data: " + JSON.writeValueAsString(o) + "\n\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(OutputStream out, String s) {
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new ClientGone();
        }
    }

    private static void send(HttpExchange ex, int status, JsonNode body) {
        try {
            byte[] b = JSON.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        } catch (IOException e) {
            throw new ClientGone();
        }
    }

    private static void error(HttpExchange ex, ApiError e) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode err = o.putObject("error").put("message", e.getMessage() == null ? "error" : e.getMessage()).put("type", e.type);
        if (e.param == null) err.putNull("param");
        else err.put("param", e.param);
        if (e.code == null) err.putNull("code");
        else err.put("code", e.code);
        try {
            send(ex, e.status, o);
        } catch (ClientGone | IllegalStateException ignored) {
            // headers already sent (a stream) or the client is gone: nothing more to say
        }
    }
}
