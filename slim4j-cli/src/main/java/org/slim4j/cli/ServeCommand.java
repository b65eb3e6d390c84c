package org.slim4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slim4j.server.ServedModel;
import org.slim4j.server.Slim4jServer;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.util.Threads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve models over an OpenAI-compatible HTTP API: /v1/chat/completions, /v1/completions, /v1/embeddings,",
            "/v1/models, /health and /tokenize. Decoders answer chat and completions, encoders embeddings."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "[ID=]MODEL",
            description = "A model to serve (repeatable): a Hugging Face folder, .gguf, .onnx or built-in encoder name; ID names it in requests (default: its file name).")
    List<String> models;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).") String host;
    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).") int port;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads per model (default: all cores).") int threads;
    @Option(names = "--parallel", defaultValue = "4", description = "Decoder requests generating at once per model, taking turns token by token; later ones queue (default: ${DEFAULT-VALUE}).") int parallel;
    @Option(names = "--batch", defaultValue = "64", description = "Texts per encoder batch at most (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--max-body", defaultValue = "8388608", description = "Largest request body in bytes (default: ${DEFAULT-VALUE}).") int maxBody;

    @Override
    public Integer call() throws Exception {
        Slim4jServer.Options options = new Slim4jServer.Options(host, port, maxBody, parallel, batch);
        EngineOptions engine = EngineOptions.defaults().withThreads(Threads.check(threads));
        List<ServedModel> served = new ArrayList<>();
        try {
            for (String spec : models) served.add(ServedModel.load(spec, engine));
        } catch (RuntimeException e) {
            for (ServedModel m : served) m.close();
            throw e;
        }
        Slim4jServer server = Slim4jServer.start(served, options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.err.println("slim4j serving " + served.stream().map(ServedModel::id).toList() + " at " + server.baseUrl() + "/v1 (Ctrl-C stops)");
        stopped.await();
        return 0;
    }
}
