package org.slim4j.model.bert;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.tokenizer.HfTokenizer;
import org.slim4j.util.BadInputException;

/** Loads a BERT-family encoder from an HF/Optimum ONNX export and its tokenizer.json. */
public final class BertLoader {
    private BertLoader() {}

    /**
     * The config comes from a config.json beside the .onnx file when there is one (checked against the weights'
     * shapes), else it is inferred from the graph (see {@link OnnxBertConfig}).
     */
    public static BertModel load(Path onnxFile, Path tokenizerJson, Conventions conventions) {
        OnnxModelFile f = OnnxModelFile.open(onnxFile);
        HfTokenizer tok = null;
        try {
            BertConfig inferred = OnnxBertConfig.infer(f);
            Path configJson = onnxFile.resolveSibling("config.json");
            BertConfig config = inferred;
            if (Files.isRegularFile(configJson)) {
                config = BertConfig.fromJson(configJson);
                if (config.hidden() != inferred.hidden() || config.layers() != inferred.layers() || config.intermediate() != inferred.intermediate()) {
                    throw new BadInputException(configJson, "hidden_size/num_hidden_layers/intermediate_size",
                            "disagree with the weights in " + onnxFile + ": " + inferred);
                }
            }
            BertWeights weights = BertWeights.from(f, config);
            tok = HfTokenizer.load(tokenizerJson);
            return new BertModel(config, weights, tok, conventions, f);
        } catch (RuntimeException e) {
            if (tok != null) tok.close();
            f.close();
            throw e;
        }
    }
}
