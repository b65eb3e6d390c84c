package org.slim4j.model.bert;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.TensorFile;
import org.slim4j.io.compressed.CompressedTensorsFile;
import org.slim4j.tokenizer.HfTokenizer;
import org.slim4j.util.BadInputException;

/** Loads a BERT-family encoder from an HF/Optimum ONNX export and its tokenizer.json. */
public final class BertLoader {
    private BertLoader() {}

    /**
     * The config comes from a config.json beside the .onnx file when there is one (checked against the weights'
     * shapes), else it is inferred from the graph (see {@link OnnxBertConfig}).
     */
    /**
     * A Hugging Face folder: config.json (model_type bert), safetensors, tokenizer.json. Pooling follows the
     * sentence-transformers module config (1_Pooling/config.json) when present, else {@code conventions}.
     */
    public static BertModel loadHf(Path dir, Conventions conventions) {
        BertConfig config = BertConfig.fromJson(dir.resolve("config.json"));
        Conventions conv = SentenceTransformersPooling.apply(dir, conventions);
        // a compressed-tensors folder reads as the dense checkpoint it encodes
        TensorFile f = CompressedTensorsFile.openFolder(dir);
        HfTokenizer tok = null;
        try {
            BertWeights weights = BertWeights.fromCheckpoint(f, config);
            tok = HfTokenizer.load(dir.resolve("tokenizer.json"));
            checkWordPiece(tok, dir.resolve("tokenizer.json"));
            if (tok.vocabSize() > config.vocabSize()) {
                throw new BadInputException(dir.resolve("tokenizer.json").toString(), "vocab", "tokenizer has " + tok.vocabSize()
                        + " tokens but the model's embedding has " + config.vocabSize() + " rows (tokenizer of another model?)");
            }
            return new BertModel(config, weights, tok, conv, f);
        } catch (RuntimeException e) {
            if (tok != null) tok.close();
            f.close();
            throw e;
        }
    }

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
            checkWordPiece(tok, tokenizerJson);
            if (tok.vocabSize() > config.vocabSize()) {
                throw new BadInputException(tokenizerJson.toString(), "vocab", "tokenizer has " + tok.vocabSize()
                        + " tokens but the model's embedding has " + config.vocabSize() + " rows (tokenizer of another model?)");
            }
            return new BertModel(config, weights, tok, conventions, f);
        } catch (RuntimeException e) {
            if (tok != null) tok.close();
            f.close();
            throw e;
        }
    }

    /** BERT-family encoders tokenize with WordPiece; anything else is another model's tokenizer. */
    private static void checkWordPiece(HfTokenizer tok, Path file) {
        if (!tok.modelType().equals("WordPiece")) {
            throw new BadInputException(file.toString(), "model.type", "a " + tok.modelType()
                    + " tokenizer cannot belong to a BERT encoder (tokenizer of another model?)");
        }
    }
}
