package org.slim4j.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.concurrent.Executor;
import org.slim4j.model.CausalLM;

/**
 * A slim4j decoder as a LangChain4j {@link StreamingChatModel}: as {@link Slim4jChatModel}, with the reply passed to
 * {@code onPartialResponse} piece by piece as the decoder makes it final (whole characters, never part of a stop
 * string), then the whole {@link ChatResponse} to {@code onCompleteResponse}; any failure goes to {@code onError}.
 * The pieces concatenate to the final message's text.
 *
 * <p>{@code chat} returns at once; the generation runs on the builder's executor (a new virtual thread per request by
 * default). Cancelling through the {@link StreamingHandle} of {@code onPartialResponse}'s context stops the generation
 * at the next piece, and nothing more is delivered.
 */
public class Slim4jStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final ChatRuns runs;
    private final List<ChatModelListener> listeners;
    private final Executor executor;

    protected Slim4jStreamingChatModel(Builder b) {
        this.runs = new ChatRuns(b);
        this.listeners = List.copyOf(b.listeners);
        this.executor = b.executor != null ? b.executor : r -> Thread.ofVirtual().name("slim4j-stream").start(r);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        executor.execute(() -> stream(request, handler));
    }

    private void stream(ChatRequest request, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        PartialResponseContext context = new PartialResponseContext(handle);
        ChatResponse response;
        try {
            response = runs.run(request, piece -> {
                if (handle.cancelled) throw new Cancelled();
                handler.onPartialResponse(new PartialResponse(piece), context);
                if (handle.cancelled) throw new Cancelled();
            });
        } catch (Cancelled c) {
            return;
        } catch (Throwable t) {
            handler.onError(t);
            return;
        }
        if (!handle.cancelled) handler.onCompleteResponse(response);
    }

    /** Ends a cancelled generation from inside the text callback. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() {
            super(null, null, false, false);
        }
    }

    private static final class Handle implements StreamingHandle {
        volatile boolean cancelled;

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return runs.defaults();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    public CausalLM causalLM() {
        return runs.model();
    }

    @Override
    public void close() {
        runs.close();
    }

    public static class Builder extends Slim4jChatModelBuilder<Builder> {
        private Executor executor;

        /** Where generations run (default: a new virtual thread per request). */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        public Slim4jStreamingChatModel build() {
            return new Slim4jStreamingChatModel(this);
        }
    }
}
