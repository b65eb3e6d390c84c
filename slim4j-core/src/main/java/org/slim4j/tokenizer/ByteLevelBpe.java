package org.slim4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slim4j.util.BadInputException;

/**
 * Byte-level BPE (GPT-2's scheme, a GGUF's {@code tokenizer.ggml.model = gpt2}: SmolLM, Llama 3, Qwen2) in Java, with
 * the same ids as the Hugging Face tokenizers library on the tokenizer.json that {@link GgufTokenizer} makes of the
 * same vocabulary ({@code ByteLevelBpeTest} holds the two to each other on corpora and odd text).
 * <p>
 * Why not that library here: built from a GGUF it held ~36 MB of native heap for a 49k vocabulary and left ~40 MB of
 * JSON in the Java heap, a quarter of {@code slim4j generate}'s resident set on SmolLM2-135M. These tables take ~3 MB:
 * the tokens' bytes end to end, and two open-addressing tables (bytes to id, id pair to rank and merged id).
 * <ol>
 *   <li>Added tokens (token types CONTROL and USER_DEFINED) are cut out of the text first, leftmost-longest.</li>
 *   <li>The rest is split into words by the pre-tokenizer that {@code tokenizer.ggml.pre} names, as the model's own
 *       tokenizer.json does (digits one by one, then GPT-2's pattern; or Llama 3's or Qwen2's pattern).</li>
 *   <li>Each byte of a word's UTF-8 is a symbol (the vocabulary spells bytes as GPT-2's printable characters; the
 *       tables hold the bytes), and adjacent symbols are merged lowest rank first, leftmost among equal ranks. With
 *       {@code ignore_merges} (Llama 3), a word that is a token is that token.</li>
 * </ol>
 * Decoding joins the tokens' bytes and reads them as UTF-8, each invalid sequence becoming U+FFFD.
 */
public final class ByteLevelBpe implements Tokenizer {
    /** GPT-2's pattern: the pre-tokenizer ByteLevel applies with use_regex. */
    static final String GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** The byte each of GPT-2's byte characters stands for (-1: not a byte's character). */
    private static final int[] CHAR_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_BYTE, -1);
        int extra = 0; // printable bytes are their own character; the others 256, 257, ... in order
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            CHAR_BYTE[printable ? b : 256 + extra++] = b;
        }
    }

    /** Each token's bytes (its byte-level characters mapped back; a token with other characters: its UTF-8). */
    private final byte[] blob;
    /** Token i's bytes are blob[at[i] .. at[i + 1]). */
    private final int[] at;
    /** Open addressing on a token's bytes: id + 1, 0 empty (a string listed twice keeps its first id). */
    private final int[] slots;
    /** The token of each single byte, -1 where the vocabulary has none. */
    private final int[] byteToken = new int[256];
    private final PairMerges merges;
    private final boolean ignoreMerges, digits;
    private final Pattern split;
    private final AddedTokens added;

    /**
     * @param tokens read once, in order (a view that decodes each string on demand will do)
     * @param pre {@code tokenizer.ggml.pre}
     * @param source names the file in errors
     */
    public ByteLevelBpe(List<String> tokens, int[] types, List<String> mergeList, String pre, String source) {
        int n = tokens.size();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(n * 8);
        at = new int[n + 1];
        slots = new int[Integer.highestOneBit(Math.max(1, n) * 2) * 2];
        java.util.Arrays.fill(byteToken, -1);
        Map<String, Integer> other = new HashMap<>(); // tokens with a character that is no byte's: only merges name them
        java.util.BitSet notBytes = new java.util.BitSet(n);
        for (int i = 0; i < n; i++) {
            String t = tokens.get(i);
            byte[] b = byteLevel(t);
            bytes.writeBytes(b == null ? t.getBytes(StandardCharsets.UTF_8) : b);
            at[i + 1] = bytes.size();
            if (b == null) {
                other.putIfAbsent(t, i);
                notBytes.set(i);
            }
        }
        blob = bytes.toByteArray();
        for (int i = 0; i < n; i++) {
            if (notBytes.get(i)) continue; // no word's bytes can spell it
            int slot = find(blob, at[i], at[i + 1]);
            if (slots[slot] == 0) slots[slot] = i + 1;
            if (at[i + 1] - at[i] == 1 && byteToken[blob[at[i]] & 0xFF] < 0) byteToken[blob[at[i]] & 0xFF] = i;
        }
        this.added = new AddedTokens(tokens, types, t -> t); // the tokenizer.json has no normalizer
        this.merges = new PairMerges(mergeList.size());
        for (int r = 0; r < mergeList.size(); r++) {
            String m = mergeList.get(r);
            int sp = m.indexOf(' ');
            int a = sp < 0 ? -1 : id(m.substring(0, sp), other), b = sp < 0 ? -1 : id(m.substring(sp + 1), other);
            int ab = a < 0 || b < 0 ? -1 : id(m.substring(0, sp) + m.substring(sp + 1), other);
            if (ab < 0) throw new BadInputException(source, "tokenizer.ggml.merges", "merge " + r + " '" + m + "' is not two tokens whose join is a token");
            this.merges.put(a, b, r, ab);
        }
        GgufTokenizer.Pre family = GgufTokenizer.Pre.of(pre, source);
        this.ignoreMerges = GgufTokenizer.ignoresMerges(pre);
        this.digits = family == GgufTokenizer.Pre.DIGITS_GPT2;
        String re = switch (family) {
            case LLAMA3 -> GgufTokenizer.LLAMA3_SPLIT;
            case QWEN2 -> GgufTokenizer.QWEN2_SPLIT;
            case DIGITS_GPT2, GPT2 -> GPT2_SPLIT;
        };
        this.split = Pattern.compile(re, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** The bytes a byte-level string stands for; null if a character is no byte's. */
    static byte[] byteLevel(String t) {
        byte[] b = new byte[t.length()];
        for (int i = 0; i < b.length; i++) {
            char c = t.charAt(i);
            int v = c < CHAR_BYTE.length ? CHAR_BYTE[c] : -1;
            if (v < 0) return null;
            b[i] = (byte) v;
        }
        return b;
    }

    /** A merge's token: a byte-level string's by its bytes, else one of the {@code other} tokens; -1 if none. */
    private int id(String t, Map<String, Integer> other) {
        byte[] b = byteLevel(t);
        if (b == null) return other.getOrDefault(t, -1);
        return lookup(b, 0, b.length);
    }

    /** The token whose bytes are {@code b[from, to)}, -1 if none. */
    private int lookup(byte[] b, int from, int to) {
        int s = slots[find(b, from, to)];
        return s - 1;
    }

    /** The slot holding {@code b[from, to)}, or the empty slot where it would go. */
    private int find(byte[] b, int from, int to) {
        int h = 0x811C9DC5;
        for (int i = from; i < to; i++) h = (h ^ (b[i] & 0xFF)) * 0x01000193;
        int mask = slots.length - 1;
        for (int i = mix(h) & mask; ; i = (i + 1) & mask) {
            int s = slots[i];
            if (s == 0 || java.util.Arrays.equals(blob, at[s - 1], at[s], b, from, to)) return i;
        }
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        return added.encode(text, this::words);
    }

    /** The pre-tokenizer's words of {@code text}, each through BPE. */
    private void words(String text, IntList out) {
        if (!digits) {
            regexWords(text, out);
            return;
        }
        int from = 0; // each digit alone; the runs between go on to the pattern
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i), n = Character.charCount(cp);
            if (isNumeric(cp)) {
                if (i > from) regexWords(text.substring(from, i), out);
                bpe(text.substring(i, i + n), out);
                from = i + n;
            }
            i += n;
        }
        if (from < text.length()) regexWords(from == 0 ? text : text.substring(from), out);
    }

    /** Rust's char::is_numeric, which the Digits pre-tokenizer uses: categories Nd, Nl and No. */
    private static boolean isNumeric(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Matches of the pattern and the text between them, each a word (the split's "isolated" behaviour). */
    private void regexWords(String text, IntList out) {
        Matcher m = split.matcher(text);
        int from = 0;
        while (m.find()) {
            if (m.start() == m.end()) continue;
            if (m.start() > from) bpe(text.substring(from, m.start()), out);
            bpe(text.substring(m.start(), m.end()), out);
            from = m.end();
        }
        if (from < text.length()) bpe(text.substring(from), out);
    }

    /** One word: its bytes, one symbol each, merged lowest rank first. */
    private void bpe(String word, IntList out) {
        byte[] utf8 = word.getBytes(StandardCharsets.UTF_8);
        int n = utf8.length;
        if (ignoreMerges || n == 1) {
            int whole = lookup(utf8, 0, n);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int[] id = new int[n];
        int count = 0;
        for (byte c : utf8) {
            int t = byteToken[c & 0xFF];
            if (t >= 0) id[count++] = t; // else not in the vocabulary and no unknown token: the library drops it too
        }
        merges.apply(id, count, out);
    }

    @Override
    public String decode(int[] ids) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int t : ids) {
            if (t < 0 || t >= at.length - 1) continue; // an id past the vocabulary decodes to nothing, as in the library
            bytes.write(blob, at[t], at[t + 1] - at[t]);
        }
        return lossyUtf8(bytes.toByteArray());
    }

    /**
     * UTF-8 with each maximal invalid subpart as one U+FFFD (Unicode's recommended practice, Rust's
     * String::from_utf8_lossy, which the library's decoder uses; Java's decoder groups some invalid bytes otherwise).
     */
    static String lossyUtf8(byte[] b) {
        StringBuilder out = new StringBuilder(b.length);
        int i = 0;
        while (i < b.length) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need = b0 >= 0xC2 && b0 <= 0xDF ? 1 : b0 >= 0xE0 && b0 <= 0xEF ? 2 : b0 >= 0xF0 && b0 <= 0xF4 ? 3 : 0;
            int cp = need == 1 ? b0 & 0x1F : need == 2 ? b0 & 0x0F : b0 & 0x07, k = 1;
            for (; k <= need && i + k < b.length; k++) {
                int c = b[i + k] & 0xFF;
                int lo = 0x80, hi = 0xBF; // the second byte's range depends on the first
                if (k == 1 && b0 == 0xE0) lo = 0xA0;
                else if (k == 1 && b0 == 0xED) hi = 0x9F;
                else if (k == 1 && b0 == 0xF0) lo = 0x90;
                else if (k == 1 && b0 == 0xF4) hi = 0x8F;
                if (c < lo || c > hi) break;
                cp = cp << 6 | (c & 0x3F);
            }
            if (need > 0 && k == need + 1) out.appendCodePoint(cp);
            else out.append('\uFFFD');
            i += need == 0 ? 1 : k;
        }
        return out.toString();
    }

    @Override
    public int vocabSize() {
        return at.length - 1;
    }
}
