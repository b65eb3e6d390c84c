package org.slim4j.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.embedding.DimensionAwareEmbeddingModel;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingInputType;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.langchain4j.model.embedding.response.EmbeddingResponseMetadata;
import dev.langchain4j.model.output.TokenUsage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slim4j.Slim4j;
import org.slim4j.model.Encoder;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.FastBert;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.tokenizer.HfTokenizer;

/**
 * A slim4j sentence encoder as a LangChain4j {@link dev.langchain4j.model.embedding.EmbeddingModel}, running in the
 * application's process like LangChain4j's own ONNX models, but on slim4j's engine: float32, int8 or int4 weights
 * memory-mapped from the model file, no native runtime.
 *
 * <p>{@code embedAll} runs real batches: the segments go to the encoder {@link Builder#batchSize} at a time, and the
 * encoder spreads each batch over its worker threads (LangChain4j's ONNX models submit one task per segment instead).
 * Token usage counts the tokens each text ran as, without the [CLS] and [SEP] markers (as LangChain4j's in-process
 * models count). A request of {@link EmbeddingInputType#DOCUMENT} texts gets the model's passage prefix (e5's
 * "passage: "), any other its query prefix; models without prefixes (all-MiniLM, bge) embed both alike.
 *
 * <p>Calls are serialised (one batch runs at a time, on all the model's threads). {@link #close()} stops the worker
 * threads and unmaps the weights of a model it loaded; the model refuses to embed afterwards.
 */
public class Slim4jEmbeddingModel extends DimensionAwareEmbeddingModel implements TokenCountEstimator, AutoCloseable {
    /** The encoder used when the builder names none: sentence-transformers/all-MiniLM-L6-v2, shipped on the classpath. */
    public static final String DEFAULT_MODEL = "all-minilm-l6-v2";
    public static final int DEFAULT_BATCH_SIZE = 64;

    private final Encoder encoder;
    private final String modelName;
    private final int batchSize;
    private final List<EmbeddingModelListener> listeners;
    private final int specialTokens;
    private final boolean owned; // loaded here, so closed here
    private final boolean tokenizeHere; // a FastBert this model loaded: its maximum length is the model's
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    protected Slim4jEmbeddingModel(Builder b) {
        if (b.batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + b.batchSize);
        if (b.threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all cores), got " + b.threads);
        if (b.encoder != null && b.model != null) throw new IllegalArgumentException("give either encoder(..) or model(..)/modelPath(..), not both");
        String spec = b.model != null ? b.model : DEFAULT_MODEL;
        this.encoder = b.encoder != null ? b.encoder : Slim4j.loadEncoder(spec, EngineOptions.defaults().withThreads(b.threads));
        this.modelName = b.modelName != null ? b.modelName : b.encoder != null ? b.encoder.getClass().getSimpleName() : spec;
        this.batchSize = b.batchSize;
        this.listeners = List.copyOf(b.listeners);
        this.owned = b.encoder == null;
        this.tokenizeHere = owned && encoder instanceof FastBert;
        this.specialTokens = encoder.tokenizer().encode("", true).length;
    }

    /** The default model ({@value #DEFAULT_MODEL}) on all cores. */
    public Slim4jEmbeddingModel() {
        this(builder());
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected Integer knownDimension() {
        return encoder.dimension();
    }

    @Override
    public String modelName() {
        return modelName;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public List<EmbeddingModelListener> listeners() {
        return listeners;
    }

    /** Segments per batch handed to the encoder. */
    public int batchSize() {
        return batchSize;
    }

    /**
     * The request's texts in batches of {@link #batchSize()}, each one call of the encoder (LangChain4j's
     * {@code embedAll} and {@code embed} come here through {@link #embed(EmbeddingRequest)}, which notifies the listeners).
     */
    @Override
    public EmbeddingResponse doEmbed(EmbeddingRequest request) {
        List<String> texts = new ArrayList<>(request.inputs().size());
        for (EmbeddingInput in : request.inputs()) texts.add(in.text());
        boolean passages = request.inputType() == EmbeddingInputType.DOCUMENT;
        List<Embedding> out = new ArrayList<>(texts.size());
        int tokens = 0;
        lock.lock();
        try {
            checkOpen();
            for (int from = 0; from < texts.size(); from += batchSize) {
                Batch b = run(texts.subList(from, Math.min(texts.size(), from + batchSize)), passages);
                for (float[] v : b.vectors()) out.add(Embedding.from(v));
                tokens += b.tokens();
            }
        } finally {
            lock.unlock();
        }
        return EmbeddingResponse.builder().embeddings(out)
                .metadata(EmbeddingResponseMetadata.builder().modelName(modelName).tokenUsage(new TokenUsage(tokens)).build())
                .build();
    }

    private record Batch(float[][] vectors, int tokens) {}

    /**
     * One batch through the encoder. The fast engine and the exact model are given the texts tokenized once, with the
     * prefix the request calls for (the count comes from the same tokens); any other encoder gets the texts and its
     * tokenizer counts them.
     */
    private Batch run(List<String> texts, boolean passages) {
        if (tokenizeHere) {
            FastBert fast = (FastBert) encoder;
            BertModel m = fast.model();
            String prefix = passages ? m.conventions().passagePrefix() : m.conventions().queryPrefix();
            HfTokenizer.Encoded[] enc = new HfTokenizer.Encoded[texts.size()];
            int tokens = 0;
            for (int i = 0; i < enc.length; i++) {
                enc[i] = m.tokenize(prefix + texts.get(i));
                tokens += enc[i].ids().length - specialTokens;
            }
            return new Batch(fast.embed(enc), tokens);
        }
        float[][] v = encoder instanceof BertModel m && passages ? m.embedPassages(texts) : encoder.embed(texts);
        int tokens = 0;
        for (String t : texts) tokens += countTokens(t);
        return new Batch(v, tokens);
    }

    private int countTokens(String text) {
        if (encoder instanceof FastBert fast) return fast.model().tokenize(text).ids().length - specialTokens;
        if (encoder instanceof BertModel m) return m.tokenize(text).ids().length - specialTokens;
        return encoder.tokenizer().encode(text, false).length;
    }

    /** Tokens of {@code text} as this model would run it (cut at its maximum length), markers not counted. */
    @Override
    public int estimateTokenCountInText(String text) {
        return countTokens(text);
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return countTokens(Messages.text(message));
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        int n = 0;
        for (ChatMessage m : messages) n += estimateTokenCountInMessage(m);
        return n;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("Slim4jEmbeddingModel " + modelName + " is closed");
    }

    /**
     * Stops the encoder's threads and releases its weights (memory maps and native buffers) when this model loaded it
     * (an encoder handed in stays open); idempotent. The model refuses to embed afterwards.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            if (owned) encoder.close();
        } finally {
            lock.unlock();
        }
    }

    public static class Builder {
        private String model;
        private Encoder encoder;
        private String modelName;
        private int threads;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private final List<EmbeddingModelListener> listeners = new ArrayList<>();

        /**
         * The model: a built-in name (all-minilm-l6-v2, bge-small-en-v1.5), an .onnx file with its tokenizer.json
         * beside it, or a Hugging Face BERT folder (compressed int8/int4 folders included). Default {@value #DEFAULT_MODEL}.
         */
        public Builder model(String spec) {
            this.model = spec;
            return this;
        }

        public Builder modelPath(Path path) {
            this.model = path.toString();
            return this;
        }

        /** An encoder already loaded; it stays the caller's to close, and may be shared. */
        public Builder encoder(Encoder encoder) {
            this.encoder = encoder;
            return this;
        }

        /** The name reported in responses and to listeners (default: the model's spec). */
        public Builder modelName(String name) {
            this.modelName = name;
            return this;
        }

        /** The engine's worker threads; 0 (the default) for every core. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Segments per encoder call (default {@value #DEFAULT_BATCH_SIZE}). */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder listeners(List<EmbeddingModelListener> listeners) {
            this.listeners.addAll(listeners);
            return this;
        }

        public Slim4jEmbeddingModel build() {
            return new Slim4jEmbeddingModel(this);
        }
    }
}
