package org.slim4j.compress.recipe;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.util.BadInputException;

/**
 * {@code --scheme} shortcuts, one-stage recipes: w{bits}[g{group}][-{method}][-asym][-emb][-mix], e.g. w8 (int8
 * per-channel symmetric RTN), w4g128, w4g64-gptq, w4g32-awq, w3g32-gptq-asym. No group: per channel; default
 * method rtn; symmetric unless -asym. The method applies to the linear layers; with -emb the embeddings (lookup
 * tables: no inputs to calibrate on) are quantized too, by RTN with MSE clipping at the same scheme, except position
 * and token-type embeddings: those rows are added to every token, so their rounding error is a bias shared by all
 * inputs rather than noise on a few; they take 8-bit per-channel RTN (0.2M of MiniLM's 22.7M weights; at
 * 4 bits, MiniLM's w4g64-gptq-asym-emb had top-10 overlap .8975 on STS-B dev; with them at 8 bits, .9054).
 *
 * <p>{@code -mix} spends bits where the error travels furthest, as llama.cpp's {@code _M} mixes do: the attention
 * value and output projections take 8-bit per-channel weights by the same method, and (with {@code -emb}) the token
 * embeddings groups of 32. Measured on bge-small-en-v1.5 at w4g64-gptq-asym-emb: value and output projections had
 * the largest relative output error in 11 of its 12 blocks, and its least faithful sentence traced to three
 * embedding rows (the pieces of "loveseat"): with value/output at 8 bits its cosine was 0.991, with those rows exact
 * as well 0.996. The mix is 4.89 bits/weight there instead of 4.39.
 */
public final class Schemes {
    private static final Pattern P = Pattern.compile("w([2-8])(?:g(\\d+))?(?:-(rtn|rtn-mse|gptq|awq))?(-asym)?(-emb)?(-mix)?");

    /** What {@code -mix} keeps at 8 bits: BERT's and Llama's attention value and output projections. */
    static final String MIXED_TO_8_BITS = ".*(attention\\.self\\.value|attention\\.output\\.dense|self_attn\\.[vo]_proj)\\.weight";

    private static final int MIX_EMBEDDING_GROUP = 32;

    private static final String ADDED_TO_EVERY_TOKEN = ".*(position|token_type)_embeddings.*";

    private Schemes() {}

    public static Recipe recipe(String shortcut) {
        Matcher m = P.matcher(shortcut.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new BadInputException("--scheme", null, "'" + shortcut + "' is not w{bits}[g{group}][-rtn|-rtn-mse|-gptq|-awq][-asym][-emb][-mix], e.g. w8, w4g128, w4g64-gptq-asym-emb");
        }
        QuantScheme s = new QuantScheme(Integer.parseInt(m.group(1)), m.group(2) == null ? QuantScheme.PER_CHANNEL : Integer.parseInt(m.group(2)), m.group(4) == null);
        String method = m.group(3) == null ? "rtn" : m.group(3);
        boolean mix = m.group(6) != null;
        QuantScheme w8 = new QuantScheme(8, QuantScheme.PER_CHANNEL, true);
        List<Modifier> modifiers = new ArrayList<>();
        modifiers.add(new Modifier(Methods.create(method, s, null, "--scheme", shortcut), List.of(Modifier.LINEAR), mix ? List.of(MIXED_TO_8_BITS) : List.of()));
        if (mix) modifiers.add(new Modifier(Methods.create(method, w8, null, "--scheme", shortcut), List.of(MIXED_TO_8_BITS), List.of()));
        if (m.group(5) != null) {
            QuantScheme e = mix && (s.groupSize() == QuantScheme.PER_CHANNEL || s.groupSize() > MIX_EMBEDDING_GROUP)
                    ? new QuantScheme(s.bits(), MIX_EMBEDDING_GROUP, s.symmetric()) : s;
            modifiers.add(new Modifier(Methods.create("rtn-mse", e, null, "--scheme", shortcut), List.of(Modifier.EMBEDDING), List.of(ADDED_TO_EVERY_TOKEN)));
            modifiers.add(new Modifier(Methods.create("rtn", w8, null, "--scheme", shortcut), List.of(ADDED_TO_EVERY_TOKEN), List.of()));
        }
        return new Recipe("--scheme " + shortcut, List.of(List.copyOf(modifiers)));
    }
}
