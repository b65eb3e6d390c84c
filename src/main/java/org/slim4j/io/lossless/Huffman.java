package org.slim4j.io.lossless;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A canonical Huffman code over byte symbols whose code lengths are capped at {@link #MAX_BITS}, so that one table
 * of 2^MAX_BITS entries indexed by the next MAX_BITS bits of the stream decodes every code (DFloat11 needs a
 * hierarchy of tables because it lets codes grow to 32 bits; capping costs a few thousandths of a bit per symbol on
 * weight exponents, whose rare values are the only long codes). Lengths come from package-merge (Larmore and
 * Hirschberg, "A fast algorithm for optimal length-limited Huffman codes", 1990), which is optimal under the cap;
 * codes are assigned canonically (shorter codes first, then by symbol), so the 256 lengths are the whole code table.
 * Bits are written most significant first.
 */
final class Huffman {
    /** The longest code: the decode table has 2^MAX_BITS entries. */
    static final int MAX_BITS = 12;
    /** Symbols one lookup of {@link #multiTable} decodes at most. */
    static final int PER_LOOKUP = 3;

    private Huffman() {}

    /** Optimal code lengths (0 for symbols that never occur) of 256 symbols with these counts, none over MAX_BITS. */
    static int[] lengths(long[] counts) {
        int[] len = new int[256];
        List<Integer> used = new ArrayList<>();
        for (int s = 0; s < 256; s++) if (counts[s] > 0) used.add(s);
        if (used.isEmpty()) return len;
        if (used.size() == 1) {
            len[used.get(0)] = 1; // one symbol still takes a bit, so that the stream's length counts the values
            return len;
        }
        used.sort(Comparator.comparingLong((Integer s) -> counts[s]).thenComparingInt(s -> s));
        // package-merge: items are leaves (a symbol) or packages (two items of the previous level); the 2n - 2
        // cheapest items of the last level hold each symbol once per bit of its code length
        int n = used.size();
        List<long[]> leaves = new ArrayList<>(); // {weight, symbol}
        for (int s : used) leaves.add(new long[] {counts[s], s});
        List<Item> level = new ArrayList<>();
        for (long[] l : leaves) level.add(new Item(l[0], (int) l[1], null, null));
        for (int depth = 1; depth < MAX_BITS; depth++) {
            List<Item> packages = new ArrayList<>();
            for (int i = 0; i + 1 < level.size(); i += 2) {
                packages.add(new Item(level.get(i).weight + level.get(i + 1).weight, -1, level.get(i), level.get(i + 1)));
            }
            List<Item> merged = new ArrayList<>(n + packages.size());
            int a = 0, b = 0;
            while (a < n || b < packages.size()) {
                // leaves first on equal weight: fewer long codes
                if (b == packages.size() || (a < n && leaves.get(a)[0] <= packages.get(b).weight)) {
                    merged.add(new Item(leaves.get(a)[0], (int) leaves.get(a)[1], null, null));
                    a++;
                } else {
                    merged.add(packages.get(b++));
                }
            }
            level = merged;
        }
        for (int i = 0; i < 2 * n - 2; i++) level.get(i).count(len);
        return len;
    }

    private record Item(long weight, int symbol, Item left, Item right) {
        void count(int[] len) {
            if (symbol >= 0) {
                len[symbol]++;
                return;
            }
            left.count(len);
            right.count(len);
        }
    }

    /**
     * Null when {@code len} is a usable table: every length within [0, MAX_BITS] and Kraft's sum at most 1 (exactly 1,
     * a complete code, unless a single symbol has length 1); else what is wrong with it.
     */
    static String problem(int[] len) {
        if (len.length != 256) return len.length + " code lengths, expected 256";
        long kraft = 0;
        int symbols = 0;
        for (int s = 0; s < 256; s++) {
            if (len[s] < 0 || len[s] > MAX_BITS) return "symbol " + s + " has code length " + len[s] + ", outside 0.." + MAX_BITS;
            if (len[s] > 0) {
                kraft += 1L << (MAX_BITS - len[s]);
                symbols++;
            }
        }
        long full = 1L << MAX_BITS;
        if (symbols == 0) return "no symbol has a code";
        if (symbols == 1 ? kraft != full / 2 : kraft != full) {
            return "code lengths " + (kraft > full ? "over-subscribe" : "leave unused") + " the code space (Kraft sum " + (double) kraft / full + ")";
        }
        return null;
    }

    /** Canonical codes of {@code len} (right-aligned in an int, {@code len[s]} bits). */
    static int[] codes(int[] len) {
        int[] code = new int[256];
        int next = 0;
        for (int l = 1; l <= MAX_BITS; l++) {
            for (int s = 0; s < 256; s++) {
                if (len[s] == l) code[s] = next++;
            }
            next <<= 1;
        }
        return code;
    }

    /**
     * The single-symbol decode table: entry p (the next MAX_BITS bits) = symbol | length << 8, or 0 where p starts
     * with no code (only an incomplete, single-symbol code has such patterns).
     */
    static short[] singleTable(int[] len) {
        short[] t = new short[1 << MAX_BITS];
        int[] code = codes(len);
        for (int s = 0; s < 256; s++) {
            if (len[s] == 0) continue;
            int first = code[s] << (MAX_BITS - len[s]), span = 1 << (MAX_BITS - len[s]);
            Arrays.fill(t, first, first + span, (short) (s | len[s] << 8));
        }
        return t;
    }

    /**
     * The multi-symbol decode table: entry p holds as many whole codes (1..{@link #PER_LOOKUP}) as the MAX_BITS bits
     * p begin with: symbols in bits 0-7, 8-15, 16-23, their count in bits 24-25 and the bits they take in 26-31. A
     * pattern that starts with no code decodes as one symbol 0 taking no bits, which the decoder's final position check
     * reports.
     */
    static int[] multiTable(int[] len) {
        short[] single = singleTable(len);
        int[] t = new int[1 << MAX_BITS];
        int mask = (1 << MAX_BITS) - 1;
        for (int p = 0; p < t.length; p++) {
            int used = 0, count = 0, entry = 0;
            while (count < PER_LOOKUP) {
                int e = single[(p << used) & mask];
                int l = e >>> 8;
                if (l == 0 || used + l > MAX_BITS) break;
                entry |= (e & 0xFF) << (8 * count);
                used += l;
                count++;
            }
            t[p] = count == 0 ? 1 << 24 : entry | count << 24 | used << 26;
        }
        return t;
    }
}
