package org.slim4j.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.util.BadInputException;

/**
 * SentencePiece BPE (a GGUF's {@code tokenizer.ggml.model = llama}: Llama 2, Mistral, TinyLlama) in Java, with the same
 * ids as the Hugging Face tokenizers library on the tokenizer.json that {@link GgufTokenizer} makes of the vocabulary
 * ({@code SentencePieceBpeTest} holds the two to each other).
 * <ol>
 *   <li>Added tokens are cut out of the text first ({@link AddedTokens}).</li>
 *   <li>Each piece between them is normalized: spaces become U+2581 and one is put in front.</li>
 *   <li>The piece's characters are symbols; a character the vocabulary lacks becomes its UTF-8 bytes' {@code <0xXX>}
 *       tokens, or, without them, the unknown token (adjacent unknowns fused into one). Adjacent symbols are merged by
 *       the merges transformers derives from the pieces' scores ({@link SentencePieceMerges}).</li>
 * </ol>
 * Decoding turns U+2581 into spaces, runs of {@code <0xXX>} tokens into their UTF-8 text (one U+FFFD per byte when
 * they are not valid UTF-8), joins everything and drops one leading space.
 */
public final class SentencePieceBpe implements Tokenizer {
    private static final char SPACE = '\u2581';
    private static final int UNUSED = 5, BYTE = 6;

    private final String[] pieces;
    private final Map<String, Integer> ids;
    private final PairMerges merges;
    private final AddedTokens added;
    /** The {@code <0xXX>} token of each byte, -1 where the vocabulary has none. */
    private final int[] byteTokens = new int[256];
    private final int unk;

    /**
     * @param tokens read once, in order (a view that decodes each string on demand will do)
     * @param unk {@code tokenizer.ggml.unknown_token_id}
     * @param source names the file in errors
     */
    public SentencePieceBpe(List<String> tokens, float[] scores, int[] types, int unk, String source) {
        int n = tokens.size();
        if (unk < 0 || unk >= n) throw new BadInputException(source, "tokenizer.ggml.unknown_token_id", unk + " is not a token id below " + n);
        this.pieces = tokens.toArray(String[]::new);
        this.ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) ids.putIfAbsent(pieces[i], i);
        this.unk = ids.get(pieces[unk]); // the tokenizer.json names it by its text
        java.util.Arrays.fill(byteTokens, -1);
        for (int b = 0; b < 256; b++) byteTokens[b] = ids.getOrDefault(String.format("<0x%02X>", b), -1);
        List<String> list = List.of(pieces);
        List<String> derived = SentencePieceMerges.derive(list, scores, types,
                new int[] {AddedTokens.CONTROL, UNUSED, BYTE});
        this.merges = new PairMerges(derived.size());
        for (int r = 0; r < derived.size(); r++) {
            String m = derived.get(r);
            int sp = m.indexOf(' ');
            String left = m.substring(0, sp), right = m.substring(sp + 1);
            merges.put(ids.get(left), ids.get(right), r, ids.get(left + right));
        }
        this.added = new AddedTokens(list, types, SentencePieceBpe::normalize);
    }

    /** The normalizer: spaces to U+2581, and one in front of a non-empty text. */
    private static String normalize(String text) {
        return text.isEmpty() ? text : SPACE + text.replace(' ', SPACE);
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        return added.encode(text, this::bpe);
    }

    /** One normalized piece: its characters (or their byte tokens, or the unknown token) merged by rank. */
    private void bpe(String word, IntList out) {
        int[] id = new int[word.getBytes(StandardCharsets.UTF_8).length + 1];
        int count = 0;
        boolean pendingUnk = false; // the library holds an unknown back until the next known character
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i), len = Character.charCount(cp);
            String ch = word.substring(i, i + len);
            i += len;
            Integer t = ids.get(ch);
            if (t != null) {
                if (pendingUnk) id[count++] = unk;
                pendingUnk = false;
                id[count++] = t;
                continue;
            }
            byte[] utf8 = ch.getBytes(StandardCharsets.UTF_8);
            boolean all = true;
            for (byte b : utf8) all &= byteTokens[b & 0xFF] >= 0;
            if (all) { // byte fallback; a held unknown stays held, as in the library
                for (byte b : utf8) id[count++] = byteTokens[b & 0xFF];
                continue;
            }
            pendingUnk = true; // fused with a held one
        }
        if (pendingUnk) id[count++] = unk;
        merges.apply(id, count, out);
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        java.io.ByteArrayOutputStream run = new java.io.ByteArrayOutputStream();
        for (int t : ids) {
            if (t < 0 || t >= pieces.length) continue; // an id past the vocabulary decodes to nothing, as in the library
            String p = pieces[t].replace(SPACE, ' ');
            int b = byteOf(p);
            if (b >= 0) {
                run.write(b);
                continue;
            }
            flush(run, out);
            out.append(p);
        }
        flush(run, out);
        return out.length() > 0 && out.charAt(0) == ' ' ? out.substring(1) : out.toString();
    }

    /** The byte a {@code <0xXX>} token stands for, -1 for any other token. */
    private static int byteOf(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>' || p.charAt(3) > 0x7F || p.charAt(4) > 0x7F) return -1;
        int hi = Character.digit(p.charAt(3), 16), lo = Character.digit(p.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    /** A run of byte tokens as text: its UTF-8, or one U+FFFD per byte where it is not valid UTF-8 (the library's rule). */
    private static void flush(java.io.ByteArrayOutputStream run, StringBuilder out) {
        if (run.size() == 0) return;
        try {
            out.append(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(run.toByteArray())));
        } catch (CharacterCodingException e) {
            out.append("\uFFFD".repeat(run.size()));
        }
        run.reset();
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }
}
