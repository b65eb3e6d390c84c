package org.slim4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slim4j.Slim4j;
import org.slim4j.model.Encoder;
import org.slim4j.util.Threads;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings as JSON lines: {\"text\": ..., \"embedding\": [...]}. Texts from arguments, -f FILE (one per line) or stdin.")
final class EmbedCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "TEXT") List<String> texts;
    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Texts, one per line.") Path file;
    @Option(names = "--batch", defaultValue = "32", description = "Texts per batch (default: ${DEFAULT-VALUE}).") int batch;

    @Override
    public Integer call() throws Exception {
        List<String> in = new ArrayList<>();
        if (texts != null) in.addAll(texts);
        if (file != null) {
            in.addAll(TextFiles.lines(file, "--file"));
        }
        if (in.isEmpty()) {
            BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            r.lines().filter(s -> !s.isBlank()).forEach(in::add);
        }
        if (batch < 1) throw new BadInputException("--batch", null, "must be >= 1, got " + batch);
        PrintWriter out = spec.commandLine().getOut();
        return Threads.run(model.threads, () -> {
            // made here, not captured: a lambda's captured ObjectMapper becomes a method parameter, and picocli reading
            // every command's methods at start-up would then load Jackson for every command
            ObjectMapper json = new ObjectMapper();
            try (Encoder enc = Slim4j.loadEncoder(model.model, model.engine())) {
                for (int i = 0; i < in.size(); i += batch) {
                    List<String> part = in.subList(i, Math.min(in.size(), i + batch));
                    float[][] e = enc.embed(part);
                    for (int j = 0; j < part.size(); j++) {
                        ObjectNode line = json.createObjectNode();
                        line.put("text", part.get(j));
                        var arr = line.putArray("embedding");
                        for (float v : e[j]) arr.add(v);
                        out.println(line);
                    }
                }
            }
            return 0;
        });
    }
}
