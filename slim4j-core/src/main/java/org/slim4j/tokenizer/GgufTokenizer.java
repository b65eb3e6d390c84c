package org.slim4j.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.util.BadInputException;

/**
 * The vocabulary a GGUF file embeds ({@code tokenizer.ggml.*}), so a GGUF needs no tokenizer.json: run in Java
 * ({@link #lazy}: {@link ByteLevelBpe}, {@link SentencePieceBpe}), or turned into the equivalent Hugging Face
 * tokenizer.json and run by the same library as {@link HfTokenizer} ({@link #from}: the oracle the Java ones are
 * tested against).
 * <ul>
 *   <li>{@code gpt2}: byte-level BPE; {@code tokenizer.ggml.pre} picks the pre-tokenizer, as llama.cpp does.</li>
 *   <li>{@code llama}: SentencePiece BPE with byte fallback; merges are derived from the piece scores the way
 *       transformers' SentencePiece converter derives them.</li>
 * </ul>
 */
public final class GgufTokenizer {
    /** Jackson, loaded only where a tokenizer.json is written: the Java tokenizers need none of its ~370 classes. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    // Token types, as llama.cpp's vocab stores them.
    private static final int CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    // Pre-tokenizer regexes by tokenizer.ggml.pre, as published with each model's tokenizer.json.
    static final String LLAMA3_SPLIT =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_SPLIT =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private GgufTokenizer() {}

    /** The vocabulary through the Hugging Face library. */
    public static HfTokenizer from(GgufFile gguf) {
        // the ids run 0 .. tokens - 1 (added tokens are among them) and both GGUF vocabularies become a BPE model
        return HfTokenizer.fromJson(toTokenizerJson(gguf), gguf.path().toString(), new VocabSize(gguf.array("tokenizer.ggml.tokens").size(), "BPE"));
    }

    /**
     * The vocabulary as a tokenizer built on first use ({@link LazyTokenizer}); the metadata checks that building
     * makes (model, pre-tokenizer, array lengths) run now, so a bad file still fails at load.
     */
    public static LazyTokenizer lazy(GgufFile gguf) {
        String source = gguf.path().toString();
        String model = gguf.string("tokenizer.ggml.model");
        int n = gguf.strings("tokenizer.ggml.tokens").size();
        if (gguf.has("tokenizer.ggml.token_type") && gguf.ints("tokenizer.ggml.token_type").length != n) {
            throw new BadInputException(source, "tokenizer.ggml.token_type", gguf.ints("tokenizer.ggml.token_type").length + " entries for " + n + " tokens");
        }
        switch (model) {
            case "gpt2" -> Pre.of(pre(gguf), source);
            case "llama" -> {
                int scores = gguf.floats("tokenizer.ggml.scores").length;
                if (scores != n) throw new BadInputException(source, "tokenizer.ggml.scores", scores + " entries for " + n + " tokens");
                long unk = gguf.optInteger("tokenizer.ggml.unknown_token_id").orElse(0);
                if (unk < 0 || unk >= n) throw new BadInputException(source, "tokenizer.ggml.unknown_token_id", unk + " is not a token id below " + n);
            }
            default -> throw new BadInputException(source, "tokenizer.ggml.model", "'" + model + "' is not supported (supported: gpt2, llama)");
        }
        return new LazyTokenizer(n, model.equals("gpt2") ? () -> byteLevel(gguf, pre(gguf)) : () -> sentencePiece(gguf));
    }

    /** A llama (SentencePiece) vocabulary's tokenizer in Java ({@link SentencePieceBpe}). */
    static SentencePieceBpe sentencePiece(GgufFile gguf) {
        return new SentencePieceBpe(gguf.stringsView("tokenizer.ggml.tokens"), gguf.floats("tokenizer.ggml.scores"),
                gguf.has("tokenizer.ggml.token_type") ? gguf.ints("tokenizer.ggml.token_type") : null,
                (int) gguf.optInteger("tokenizer.ggml.unknown_token_id").orElse(0), gguf.path().toString());
    }

    /** A gpt2 vocabulary's tokenizer in Java ({@link ByteLevelBpe}) with the pre-tokenizer that {@code pre} names. */
    static ByteLevelBpe byteLevel(GgufFile gguf, String pre) {
        return new ByteLevelBpe(gguf.stringsView("tokenizer.ggml.tokens"), gguf.has("tokenizer.ggml.token_type") ? gguf.ints("tokenizer.ggml.token_type") : null,
                gguf.stringsView("tokenizer.ggml.merges"), pre, gguf.path().toString());
    }

    private static String pre(GgufFile gguf) {
        return gguf.optString("tokenizer.ggml.pre").orElse("default");
    }

    public static String toTokenizerJson(GgufFile meta) {
        return toTokenizerJson(meta, pre(meta));
    }

    /** The tokenizer.json of {@code meta}'s vocabulary; a gpt2 vocabulary with the pre-tokenizer {@code pre} names. */
    static String toTokenizerJson(GgufFile meta, String pre) {
        String source = meta.path().toString();
        String model = meta.string("tokenizer.ggml.model");
        List<String> tokens = meta.strings("tokenizer.ggml.tokens");
        int[] types = meta.has("tokenizer.ggml.token_type") ? meta.ints("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != tokens.size()) {
            throw new BadInputException(source, "tokenizer.ggml.token_type", types.length + " entries for " + tokens.size() + " tokens");
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", addedTokens(tokens, types));
        switch (model) {
            case "gpt2" -> byteLevelBpe(root, meta, tokens, pre, source);
            case "llama" -> sentencePieceBpe(root, meta, tokens, types, source);
            default -> throw new BadInputException(source, "tokenizer.ggml.model",
                    "'" + model + "' is not supported (supported: gpt2, llama)");
        }
        return root.toString();
    }

    private static ArrayNode addedTokens(List<String> tokens, int[] types) {
        ArrayNode added = Json.MAPPER.createArrayNode();
        if (types == null) return added;
        for (int i = 0; i < tokens.size(); i++) {
            if (types[i] != CONTROL && types[i] != USER_DEFINED) continue;
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", tokens.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", types[i] == USER_DEFINED);
            t.put("special", types[i] == CONTROL);
        }
        return added;
    }

    private static void byteLevelBpe(ObjectNode root, GgufFile meta, List<String> tokens, String pre, String source) {
        root.putNull("normalizer");
        root.set("pre_tokenizer", preTokenizer(pre, source));
        root.putNull("post_processor");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode m = root.putObject("model");
        m.put("type", "BPE");
        m.putNull("dropout");
        m.putNull("unk_token");
        m.putNull("continuing_subword_prefix");
        m.putNull("end_of_word_suffix");
        m.put("fuse_unk", false);
        m.put("byte_fallback", false);
        m.put("ignore_merges", ignoresMerges(pre));
        m.set("vocab", vocab(tokens));
        ArrayNode merges = m.putArray("merges");
        for (String s : meta.strings("tokenizer.ggml.merges")) merges.add(s);
    }

    /** True where the model's tokenizer.json sets ignore_merges: Llama 3's names (dbrx shares its pattern, not this). */
    static boolean ignoresMerges(String pre) {
        return pre.equals("llama-bpe") || pre.equals("llama3");
    }

    /** The pre-tokenizers of byte-level vocabularies, each named by several {@code tokenizer.ggml.pre} values. */
    enum Pre {
        /** Digits one by one, then GPT-2's pattern (SmolLM, StarCoder). */
        DIGITS_GPT2,
        /** Llama 3's pattern (llama-bpe and llama3 also set ignore_merges; dbrx does not). */
        LLAMA3,
        QWEN2,
        /** GPT-2's pattern. */
        GPT2;

        /** The pre-tokenizer {@code pre} names; bad input naming the field if none. */
        static Pre of(String pre, String source) {
            return switch (pre) {
                case "smollm", "starcoder", "refact", "smaug-bpe" -> DIGITS_GPT2;
                case "llama-bpe", "llama3", "dbrx" -> LLAMA3;
                case "qwen2", "deepseek-r1-qwen" -> QWEN2;
                case "gpt2", "gpt-2", "default", "olmo", "phi-2", "jina-es", "mpt" -> GPT2;
                default -> throw new BadInputException(source, "tokenizer.ggml.pre",
                        "pre-tokenizer '" + pre + "' is not supported yet (supported: smollm, llama-bpe, qwen2, gpt-2)");
            };
        }
    }

    /** The pre-tokenizer for tokenizer.ggml.pre {@code pre}, as the model's published tokenizer.json has it. */
    private static ObjectNode preTokenizer(String pre, String source) {
        ObjectNode byteLevel = Json.MAPPER.createObjectNode();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", true);
        ObjectNode seq = Json.MAPPER.createObjectNode();
        seq.put("type", "Sequence");
        ArrayNode list = seq.putArray("pretokenizers");
        switch (Pre.of(pre, source)) {
            case DIGITS_GPT2 -> {
                ObjectNode digits = list.addObject();
                digits.put("type", "Digits");
                digits.put("individual_digits", true);
                list.add(byteLevel);
            }
            case LLAMA3 -> split(list, byteLevel, LLAMA3_SPLIT);
            case QWEN2 -> split(list, byteLevel, QWEN2_SPLIT);
            case GPT2 -> list.add(byteLevel);
        }
        return seq;
    }

    private static void split(ArrayNode list, ObjectNode byteLevel, String regex) {
        ObjectNode split = list.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        byteLevel.put("use_regex", false);
        list.add(byteLevel);
    }

    private static void sentencePieceBpe(ObjectNode root, GgufFile meta, List<String> tokens, int[] types, String source) {
        float[] scores = meta.floats("tokenizer.ggml.scores");
        if (scores.length != tokens.size()) {
            throw new BadInputException(source, "tokenizer.ggml.scores", scores.length + " entries for " + tokens.size() + " tokens");
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
        ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode rep = ns.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", " ");
        rep.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode ds = dec.putArray("decoders");
        ObjectNode r = ds.addObject().put("type", "Replace");
        r.putObject("pattern").put("String", "\u2581");
        r.put("content", " ");
        ds.addObject().put("type", "ByteFallback");
        ds.addObject().put("type", "Fuse");
        ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        int unk = (int) meta.optInteger("tokenizer.ggml.unknown_token_id").orElse(0);
        ObjectNode m = root.putObject("model");
        m.put("type", "BPE");
        m.putNull("dropout");
        m.put("unk_token", tokens.get(unk));
        m.putNull("continuing_subword_prefix");
        m.putNull("end_of_word_suffix");
        m.put("fuse_unk", true);
        m.put("byte_fallback", true);
        m.put("ignore_merges", false);
        m.set("vocab", vocab(tokens));
        ArrayNode merges = m.putArray("merges");
        for (String s : SentencePieceMerges.derive(tokens, scores, types, new int[] {CONTROL, UNUSED, BYTE})) merges.add(s);
    }

    private static ObjectNode vocab(List<String> tokens) {
        ObjectNode v = Json.MAPPER.createObjectNode();
        for (int i = 0; i < tokens.size(); i++) if (!v.has(tokens.get(i))) v.put(tokens.get(i), i);
        return v;
    }
}
