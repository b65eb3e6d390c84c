package org.slim4j.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import org.slim4j.model.CausalLM;

/**
 * A slim4j decoder as a LangChain4j {@link ChatModel}, running in the application's process: the messages are
 * rendered with the model's own chat template (ChatML when it has none) and the reply generated on slim4j's engine,
 * from F32/BF16 or quantized GGUF weights memory-mapped from the file. Honours maxOutputTokens, temperature, topK,
 * topP, stopSequences and {@link Slim4jChatRequestParameters#seed()}; reports token usage and the finish reason
 * (STOP at an end token or a stop string, LENGTH at the token limit or the context's end).
 *
 * <p>Requests on one decoder run one at a time. {@link #close()} releases the decoder when this model loaded it.
 */
public class Slim4jChatModel implements ChatModel, AutoCloseable {
    private final ChatRuns runs;
    private final List<ChatModelListener> listeners;

    protected Slim4jChatModel(Builder b) {
        this.runs = new ChatRuns(b);
        this.listeners = List.copyOf(b.listeners);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return runs.run(request, null);
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

    /** The decoder behind this model (to share with a {@link Slim4jStreamingChatModel}, say). */
    public CausalLM causalLM() {
        return runs.model();
    }

    @Override
    public void close() {
        runs.close();
    }

    public static class Builder extends Slim4jChatModelBuilder<Builder> {
        public Slim4jChatModel build() {
            return new Slim4jChatModel(this);
        }
    }
}
