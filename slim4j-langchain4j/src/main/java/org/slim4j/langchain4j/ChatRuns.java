package org.slim4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slim4j.Slim4j;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Generation;
import org.slim4j.model.GenerationOptions;
import org.slim4j.tensor.kernel.EngineOptions;

/**
 * What {@link Slim4jChatModel} and {@link Slim4jStreamingChatModel} share: the decoder, its request parameters, and
 * the translation of a LangChain4j {@link ChatRequest} into one slim4j chat generation and back. Generations on one
 * decoder run one at a time (the engine holds one KV cache), also when two models share it.
 */
final class ChatRuns implements AutoCloseable {
    /** One lock per decoder, so models sharing a decoder queue their requests on it. */
    private static final Map<CausalLM, ReentrantLock> LOCKS = new WeakHashMap<>();

    private final CausalLM model;
    private final boolean owned;
    private final String modelName;
    private final Slim4jChatRequestParameters defaults;
    private final ReentrantLock lock;
    private boolean closed;

    ChatRuns(Slim4jChatModelBuilder<?> b) {
        if (b.causalLM != null && b.model != null) throw new IllegalArgumentException("give either causalLM(..) or model(..)/modelPath(..), not both");
        if (b.causalLM == null && b.model == null) throw new IllegalArgumentException("no model: give model(..), modelPath(..) or causalLM(..)");
        if (b.threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all cores), got " + b.threads);
        this.owned = b.causalLM == null;
        this.model = owned ? Slim4j.loadCausalLM(b.model, EngineOptions.defaults().withThreads(b.threads)) : b.causalLM;
        this.modelName = b.modelName != null ? b.modelName : owned ? b.model : model.getClass().getSimpleName();
        this.defaults = Slim4jChatRequestParameters.builder().modelName(modelName).overrideWith(b.parameters.build()).build();
        synchronized (LOCKS) {
            this.lock = LOCKS.computeIfAbsent(model, m -> new ReentrantLock());
        }
    }

    CausalLM model() {
        return model;
    }

    String modelName() {
        return modelName;
    }

    Slim4jChatRequestParameters defaults() {
        return defaults;
    }

    /**
     * Runs {@code request} (its parameters already merged over {@link #defaults()} by LangChain4j), passing each piece
     * of text to {@code onText} as the decoder makes it final.
     */
    ChatResponse run(ChatRequest request, Consumer<String> onText) {
        var messages = Messages.toSlim4j(request.messages());
        GenerationOptions options = options(request.parameters());
        Generation g;
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the slim4j chat model " + modelName + " is closed");
            int[] ids = model.chatIds(messages); // what CausalLM.chat generates from, checked here to say it as LangChain4j does
            if (ids.length > model.contextLength()) {
                throw new InvalidRequestException("the conversation has " + ids.length + " tokens, more than the model's context of " + model.contextLength());
            }
            g = model.generate(ids, options, onText);
        } finally {
            lock.unlock();
        }
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(g.text()))
                .modelName(modelName)
                .tokenUsage(new TokenUsage(g.promptTokens(), g.completionTokens()))
                .finishReason(g.finishReason() == Generation.FinishReason.LENGTH ? FinishReason.LENGTH : FinishReason.STOP)
                .build();
    }

    /**
     * The sampler's options: greedy unless a temperature above 0 is asked for; no token limit but the context's end
     * unless maxOutputTokens is given; a fresh seed per request unless one is given. What slim4j cannot honour (tools,
     * JSON response formats, frequency or presence penalties) is refused rather than ignored.
     */
    GenerationOptions options(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty() || p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("slim4j chat models do not call tools");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("slim4j chat models do not constrain output to JSON");
        }
        if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0 || p.presencePenalty() != null && p.presencePenalty() != 0) {
            throw new UnsupportedFeatureException("slim4j chat models have no frequency or presence penalty");
        }
        double temperature = p.temperature() != null ? p.temperature() : 0;
        int maxTokens = p.maxOutputTokens() != null ? p.maxOutputTokens() : model.contextLength();
        Long seed = p instanceof Slim4jChatRequestParameters s ? s.seed() : null;
        List<String> stop = p.stopSequences() != null ? p.stopSequences() : List.of();
        try {
            return new GenerationOptions(maxTokens, temperature, p.topK() != null ? p.topK() : 0,
                    p.topP() != null ? p.topP() : 1.0, seed != null ? seed : ThreadLocalRandom.current().nextLong(), stop);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    /** Closes the decoder when this model loaded it (a decoder handed in belongs to the caller); idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            if (owned) model.close();
        } finally {
            lock.unlock();
        }
    }
}
