package org.slim4j.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;

/**
 * A Hugging Face {@code tokenizer.json} (byte-level BPE, WordPiece, SentencePiece-style BPE), run by the
 * Hugging Face tokenizers library itself through DJL's bindings, so ids agree with transformers exactly.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    private final HuggingFaceTokenizer tok;
    private final String source;
    private final int vocabSize;
    private final String modelType;

    private HfTokenizer(HuggingFaceTokenizer tok, String source, VocabSize info) {
        this.tok = tok;
        this.source = source;
        this.vocabSize = info.size();
        this.modelType = info.modelType();
    }

    public static HfTokenizer load(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new BadInputException(tokenizerJson, "tokenizer.json", "file not found");
        }
        return fromJson(TextFiles.read(tokenizerJson, "tokenizer.json"), tokenizerJson.toString());
    }

    /** A tokenizer from the text of a tokenizer.json; {@code source} names it in error messages. */
    public static HfTokenizer fromJson(String json, String source) {
        return fromJson(json, source, VocabSize.of(json, source));
    }

    /**
     * A tokenizer from a tokenizer.json text whose vocabulary size and model type are known: no second parse into a
     * JSON tree (for a GGUF's 50-150k tokens and merges, ~20 MB of objects that live just long enough to be promoted).
     */
    static HfTokenizer fromJson(String json, String source, VocabSize vocab) {
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        try (InputStream in = new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))) {
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(in, options), source, vocab);
        } catch (IOException | RuntimeException e) {
            throw new BadInputException(source, "tokenizer.json", "not a valid Hugging Face tokenizer: " + firstLine(e));
        }
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        return toInts(tok.encode(text, addSpecial, false).getIds());
    }

    /** Ids, token-type ids and attention mask, cut to {@code maxLength} tokens (special tokens kept at the ends). */
    public Encoded encode(String text, boolean addSpecial, int maxLength) {
        Encoding e = tok.encode(text, addSpecial, false);
        long[] ids = e.getIds();
        long[] types = e.getTypeIds();
        if (ids.length > maxLength) {
            long[] cutIds = java.util.Arrays.copyOf(ids, maxLength);
            long[] cutTypes = java.util.Arrays.copyOf(types, maxLength);
            if (addSpecial) {
                cutIds[maxLength - 1] = ids[ids.length - 1];
                cutTypes[maxLength - 1] = types[types.length - 1];
            }
            ids = cutIds;
            types = cutTypes;
        }
        return new Encoded(toInts(ids), toInts(types));
    }

    public record Encoded(int[] ids, int[] typeIds) {}

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tok.decode(l, false);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** The tokenizer.json model type: BPE, WordPiece, Unigram or WordLevel. */
    public String modelType() {
        return modelType;
    }

    public String source() {
        return source;
    }

    @Override
    public void close() {
        tok.close();
    }

    private static int[] toInts(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = (int) a[i];
        return r;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
