package org.slim4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.store.embedding.EmbeddingStoreIngestor;
import dev.langchain4j.store.embedding.IngestionResult;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slim4j.Slim4j;
import org.slim4j.eval.StsB;
import org.slim4j.model.Encoder;
import org.slim4j.tokenizer.Tokenizer;

/**
 * Slim4jEmbeddingModel inside LangChain4j's retrieval pipeline, over STS-B: the first sentence of each close
 * paraphrase pair (score >= 4 of 5) is ingested as a Document, the second is the query, and the first must come back
 * on top. Vectors must be the core encoder's, token usage the tokenizer's count, and embedAll must run batches.
 */
class Slim4jEmbeddingModelTest {
    private static final int PAIRS = 300;

    private static Slim4jEmbeddingModel model;
    private static Encoder core;
    private static List<StsB.Pair> pairs;

    @BeforeAll
    static void load() {
        model = Slim4jEmbeddingModel.builder().build(); // the default: all-MiniLM-L6-v2 from the classpath
        core = Slim4j.loadEncoder(Slim4jEmbeddingModel.DEFAULT_MODEL);
        Map<String, StsB.Pair> byFirst = new LinkedHashMap<>();
        for (StsB.Pair p : StsB.read(Shared.data("stsb-train.tsv")).pairs()) {
            if (p.score() >= 4.0 && !p.sentence1().equals(p.sentence2())) byFirst.putIfAbsent(p.sentence1(), p);
        }
        pairs = new ArrayList<>(byFirst.values()).subList(0, PAIRS);
        model.embed("warm the engine up"); // the first batch compiles the kernels; the ingestion time below is steady state
    }

    @AfterAll
    static void close() {
        model.close();
        core.close();
    }

    @Test
    void ingestedSentencesAreRetrievedByTheirParaphrase() {
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        EmbeddingStoreIngestor ingestor = EmbeddingStoreIngestor.builder().embeddingModel(model).embeddingStore(store).build();
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) docs.add(Document.from(pairs.get(i).sentence1(), new Metadata().put("pair", i)));
        long t0 = System.nanoTime();
        IngestionResult ingested = ingestor.ingest(docs);
        double ingestS = (System.nanoTime() - t0) / 1e9;

        int tokens = 0;
        for (StsB.Pair p : pairs) tokens += core.tokenizer().encode(p.sentence1(), false).length;
        assertEquals(tokens, ingested.tokenUsage().inputTokenCount(), "token usage of the ingestion: the sentences' tokens");

        var retriever = EmbeddingStoreContentRetriever.builder().embeddingStore(store).embeddingModel(model).maxResults(5).build();
        int top1 = 0, top5 = 0;
        for (int i = 0; i < pairs.size(); i++) {
            List<Content> found = retriever.retrieve(Query.from(pairs.get(i).sentence2()));
            assertEquals(5, found.size());
            for (int r = 0; r < found.size(); r++) {
                if (found.get(r).textSegment().metadata().getInteger("pair") == i) {
                    if (r == 0) top1++;
                    top5++;
                    break;
                }
            }
        }
        // all-MiniLM-L6-v2 puts 81% on top and 98.7% in the top 5 (many STS-B sentences are near-duplicates of others)
        System.out.printf("STS-B train, %d paraphrase pairs (score >= 4): top-1 %d (%.1f%%), top-5 %d (%.1f%%); ingested %d tokens in %.2f s%n",
                pairs.size(), top1, 100.0 * top1 / pairs.size(), top5, 100.0 * top5 / pairs.size(), tokens, ingestS);
        assertTrue(top1 >= 0.75 * pairs.size(), "paired sentence on top for " + top1 + " of " + pairs.size());
        assertTrue(top5 >= 0.95 * pairs.size(), "paired sentence in the top 5 for " + top5 + " of " + pairs.size());
    }

    @Test
    void vectorsAreTheCoreEncodersAndTokenUsageTheTokenizers() {
        List<String> texts = pairs.stream().map(StsB.Pair::sentence2).limit(100).toList();
        Response<List<Embedding>> r = model.embedAll(texts.stream().map(TextSegment::from).toList());
        float[][] ref = core.embed(texts);
        assertEquals(texts.size(), r.content().size());
        for (int i = 0; i < texts.size(); i++) assertClose(ref[i], r.content().get(i).vector(), texts.get(i));
        int tokens = 0;
        for (String t : texts) tokens += core.tokenizer().encode(t, false).length;
        assertEquals(tokens, r.tokenUsage().inputTokenCount());
        assertClose(ref[7], model.embed(texts.get(7)).content().vector(), "single embed");
        assertEquals(384, model.dimension());
    }

    /**
     * The outside reference: LangChain4j's own in-process model (ONNX Runtime) on the same .onnx file and tokenizer
     * gives the same vectors, so Slim4jEmbeddingModel drops in for it.
     */
    @Test
    void vectorsMatchLangChain4jsOnnxModel() {
        java.nio.file.Path[] files = org.slim4j.model.bert.DefaultModels.files(Slim4jEmbeddingModel.DEFAULT_MODEL);
        var onnx = new dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel(files[0], files[1],
                dev.langchain4j.model.embedding.onnx.PoolingMode.MEAN);
        List<TextSegment> segs = pairs.stream().map(p -> TextSegment.from(p.sentence1())).limit(50).toList();
        List<Embedding> want = onnx.embedAll(segs).content();
        Response<List<Embedding>> got = model.embedAll(segs);
        double worst = 1;
        for (int i = 0; i < segs.size(); i++) {
            float[] a = want.get(i).vector(), b = got.content().get(i).vector();
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < a.length; j++) {
                dot += a[j] * b[j];
                na += a[j] * a[j];
                nb += b[j] * b[j];
            }
            worst = Math.min(worst, dot / Math.sqrt(na * nb));
        }
        System.out.printf("cosine to LangChain4j's OnnxEmbeddingModel over %d sentences: worst %.7f%n", segs.size(), worst);
        assertTrue(worst > 0.99999, "worst cosine " + worst);
        assertEquals(onnx.embedAll(segs).tokenUsage().inputTokenCount(), got.tokenUsage().inputTokenCount(), "token usage as LangChain4j counts it");
    }

    @Test
    void embedAllRunsBatchesOfBatchSize() {
        CountingEncoder counting = new CountingEncoder(Slim4j.loadEncoder(Slim4jEmbeddingModel.DEFAULT_MODEL));
        try (Slim4jEmbeddingModel batched = Slim4jEmbeddingModel.builder().encoder(counting).batchSize(16).build()) {
            assertEquals(384, batched.dimension(), "knownDimension");
            assertEquals(List.of(), counting.calls, "the dimension is known without embedding anything");
            List<String> texts = pairs.stream().map(StsB.Pair::sentence1).limit(100).toList();
            Response<List<Embedding>> r = batched.embedAll(texts.stream().map(TextSegment::from).toList());
            assertEquals(List.of(16, 16, 16, 16, 16, 16, 4), counting.calls, "texts per encoder call");
            float[][] ref = core.embed(texts);
            for (int i = 0; i < texts.size(); i++) assertClose(ref[i], r.content().get(i).vector(), texts.get(i));
            int tokens = 0;
            for (String t : texts) tokens += core.tokenizer().encode(t, false).length;
            assertEquals(tokens, r.tokenUsage().inputTokenCount());
            batched.close();
            assertEquals(0, counting.closed.get(), "an encoder handed in stays the caller's");
            assertThrows(IllegalStateException.class, () -> batched.embed("after close"));
        } finally {
            counting.close();
        }
    }

    @Test
    void concurrentCallsGetTheirOwnVectors() throws Exception {
        List<String> texts = pairs.stream().map(StsB.Pair::sentence2).limit(40).toList();
        float[][] ref = core.embed(texts);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<Response<List<Embedding>>>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                List<TextSegment> part = texts.subList(t * 10, t * 10 + 10).stream().map(TextSegment::from).toList();
                fs.add(pool.submit(() -> model.embedAll(part)));
            }
            for (int t = 0; t < 4; t++) {
                List<Embedding> got = fs.get(t).get().content();
                for (int i = 0; i < 10; i++) assertClose(ref[t * 10 + i], got.get(i).vector(), texts.get(t * 10 + i));
            }
        }
    }

    @Test
    void closeReleasesTheEncoderItLoaded() {
        Slim4jEmbeddingModel own = Slim4jEmbeddingModel.builder().model("bge-small-en-v1.5").threads(1).batchSize(8).build();
        assertEquals(384, own.dimension());
        float[] v = own.embed("A man is playing a guitar.").content().vector();
        assertClose(v, own.embed("A man is playing a guitar.").content().vector(), "the same text twice");
        own.close();
        own.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> own.embed("after close"));
        assertThrows(IllegalStateException.class, () -> own.embedAll(List.of(TextSegment.from("after close"))));
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length);
        double maxDiff = 0;
        for (int i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
        // the engine splits a batch between its workers by texts, so a text's sums may run in another order
        assertTrue(maxDiff < 1e-5, what + ": differs from the core encoder by " + maxDiff);
    }

    /** An encoder that records how many texts each call brings. */
    private static final class CountingEncoder implements Encoder {
        final Encoder inner;
        final List<Integer> calls = new ArrayList<>();
        final AtomicInteger closed = new AtomicInteger();

        CountingEncoder(Encoder inner) {
            this.inner = inner;
        }

        @Override
        public Tokenizer tokenizer() {
            return inner.tokenizer();
        }

        @Override
        public int dimension() {
            return inner.dimension();
        }

        @Override
        public float[][] embed(List<String> texts) {
            calls.add(texts.size());
            return inner.embed(texts);
        }

        @Override
        public void close() {
            closed.incrementAndGet();
            inner.close();
        }
    }
}
