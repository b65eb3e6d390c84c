package org.slim4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slim4j.eval.StsB;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.testutil.Fixtures;

/**
 * A bounded load test on loopback: CLIENTS concurrent OpenAI SDK clients, each running ROUNDS rounds of a streamed chat
 * and an embedding request, against one server with a decoder and an encoder. Every request must succeed, every stream
 * must end with usage, and the heap after a full collection must not grow between the first and the second half of the
 * run. Prints p50/p99 latency per kind and the throughput (figures, not assertions: this machine is shared).
 */
class ServerLoadTest {
    static final int CLIENTS = 8, ROUNDS = 4;

    @Test
    void concurrentChatAndEmbeddingClients() throws Exception {
        EngineOptions engine = EngineOptions.defaults().withThreads(2);
        List<String> sentences = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv")).sentences().subList(0, CLIENTS * ROUNDS * 8);
        try (Slim4jServer server = Slim4jServer.start(List.of(ServedModel.load("llm=" + Fixtures.SHARED.resolve("models/trained-llama-50m"), engine),
                ServedModel.load("all-minilm-l6-v2", engine)), Slim4jServer.Options.defaults().withPort(0));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<OpenAIClient> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) clients.add(OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("x").maxRetries(0).build());
            ConcurrentLinkedQueue<Long> chatMs = new ConcurrentLinkedQueue<>(), embedMs = new ConcurrentLinkedQueue<>();
            AtomicInteger failed = new AtomicInteger(), tokens = new AtomicInteger();
            long[] heap = new long[3];
            heap[0] = usedAfterGc();
            long t0 = System.nanoTime();
            for (int half = 0; half < 2; half++) {
                List<Future<?>> work = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    OpenAIClient client = clients.get(c);
                    int id = c;
                    work.add(pool.submit(() -> {
                        for (int r = 0; r < ROUNDS / 2; r++) {
                            try {
                                long s = System.nanoTime();
                                int[] n = {0};
                                boolean[] usage = {false};
                                try (StreamResponse<ChatCompletionChunk> st = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                                        .model("llm").addUserMessage("Tell me about city " + id + "-" + r).maxCompletionTokens(8).seed(id * 100L + r)
                                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
                                    st.stream().forEach(ch -> {
                                        if (!ch.choices().isEmpty()) n[0]++;
                                        ch.usage().ifPresent(u -> {
                                            usage[0] = true;
                                            tokens.addAndGet((int) u.completionTokens());
                                        });
                                    });
                                }
                                if (!usage[0] || n[0] == 0) failed.incrementAndGet();
                                chatMs.add((System.nanoTime() - s) / 1_000_000);
                                s = System.nanoTime();
                                int from = ((id * ROUNDS + r) * 8) % (sentences.size() - 8);
                                var e = client.embeddings().create(EmbeddingCreateParams.builder().model("all-minilm-l6-v2")
                                        .inputOfArrayOfStrings(sentences.subList(from, from + 8)).build());
                                if (e.data().size() != 8) failed.incrementAndGet();
                                embedMs.add((System.nanoTime() - s) / 1_000_000);
                            } catch (RuntimeException e) {
                                failed.incrementAndGet();
                                e.printStackTrace();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) f.get();
                heap[half + 1] = usedAfterGc();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            clients.forEach(OpenAIClient::close);
            int requests = chatMs.size() + embedMs.size();
            System.out.printf(Locale.ROOT, "load: %d clients, %d requests in %.1f s (%.2f req/s, %d tokens streamed, %.1f tokens/s); chat p50 %d ms p99 %d ms;"
                    + " embeddings (8 texts) p50 %d ms p99 %d ms; heap after GC %d -> %d -> %d MiB; server saw %d requests, %d errors%n",
                    CLIENTS, requests, secs, requests / secs, tokens.get(), tokens.get() / secs, pct(chatMs, 50), pct(chatMs, 99), pct(embedMs, 50), pct(embedMs, 99),
                    heap[0] >> 20, heap[1] >> 20, heap[2] >> 20, server.counts()[0], server.counts()[1]);
            assertEquals(0, failed.get(), "failed requests");
            assertEquals(CLIENTS * ROUNDS * 2, requests);
            assertEquals(0, server.counts()[1], "server-side errors");
            assertTrue(heap[2] < heap[1] + (48L << 20), "heap grew from " + (heap[1] >> 20) + " to " + (heap[2] >> 20) + " MiB over the second half");
        }
    }

    static long pct(ConcurrentLinkedQueue<Long> q, int p) {
        List<Long> l = new ArrayList<>(q);
        Collections.sort(l);
        return l.get(Math.min(l.size() - 1, (int) Math.ceil(p / 100.0 * l.size()) - 1));
    }

    static long usedAfterGc() {
        for (int i = 0; i < 2; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
