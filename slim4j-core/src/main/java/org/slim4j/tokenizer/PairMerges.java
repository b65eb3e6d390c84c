package org.slim4j.tokenizer;

import java.util.PriorityQueue;

/**
 * A BPE model's merges: (left id, right id) to (rank, merged id) in an open-addressing table, and the merge loop the
 * Hugging Face tokenizers library runs on a word's symbols: the lowest rank first, the leftmost among equal ranks.
 */
final class PairMerges {
    /** Keys (left id << 32 | right id), and values (rank + 1) << 32 | merged id, 0 empty. */
    private final long[] keys, vals;

    PairMerges(int count) {
        int cap = Integer.highestOneBit(Math.max(1, count) * 2) * 2;
        keys = new long[cap];
        vals = new long[cap];
    }

    /** Merge {@code rank}; a pair listed again takes the later rank, as the library's map does. */
    void put(int left, int right, int rank, int merged) {
        long k = key(left, right);
        int slot = slot(k);
        keys[slot] = k;
        vals[slot] = (long) (rank + 1) << 32 | merged;
    }

    /** (rank + 1) << 32 | merged id of the pair, 0 if the pair is no merge. */
    long get(int left, int right) {
        return vals[slot(key(left, right))];
    }

    private static long key(int a, int b) {
        return (long) a << 32 | (b & 0xFFFFFFFFL);
    }

    private int slot(long k) {
        int mask = keys.length - 1;
        for (int i = (int) ((k * 0x9E3779B97F4A7C15L) >>> 40) & mask; ; i = (i + 1) & mask) {
            if (vals[i] == 0 || keys[i] == k) return i;
        }
    }

    /** Merges the symbols id[0, count) (overwriting id) and appends the result to {@code out}. */
    void apply(int[] id, int count, IntList out) {
        if (count == 0) return;
        int[] prev = new int[count], next = new int[count];
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1;
        }
        next[count - 1] = -1;
        // candidates (rank << 32 | position), lowest first; a popped one is checked against the symbols as they are now
        PriorityQueue<Long> heap = new PriorityQueue<>();
        for (int i = 0; i + 1 < count; i++) push(heap, id, i, i + 1);
        while (!heap.isEmpty()) {
            long c = heap.poll();
            int i = (int) c, j = next[i];
            // stale unless the pair there now has this rank (each pair has one rank, so it is the pair that was pushed)
            if (id[i] < 0 || j < 0 || get(id[i], id[j]) >>> 32 != c >>> 32) continue;
            id[i] = (int) get(id[i], id[j]);
            id[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) push(heap, id, prev[i], i);
            if (next[i] >= 0) push(heap, id, i, next[i]);
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(id[i]);
    }

    private void push(PriorityQueue<Long> heap, int[] id, int i, int j) {
        long m = get(id[i], id[j]);
        if (m != 0) heap.add((m >>> 32) << 32 | i);
    }
}
