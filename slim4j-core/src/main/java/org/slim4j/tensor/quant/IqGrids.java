package org.slim4j.tensor.quant;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The lookup tables of ggml's i-quants (ggml-common.h), which are the formats themselves: a code is an index into a
 * grid of 8 (or 4) small magnitudes, and the sign patterns are a table too. They are llama.cpp's values, read from
 * {@code iq-grids.txt} (made by {@code scripts/ggml-oracle.sh grids} from ggml itself; {@code IqDecodeTest} checks every
 * decoder against ggml's dequantization of a file llama-quantize wrote). Each grid entry packs its values one per byte,
 * value 0 in the lowest byte, as ggml reads them through a {@code uint8_t *} on a little-endian machine.
 */
final class IqGrids {
    static final long[] IQ2XXS, IQ2XS, IQ2S, IQ1S;
    static final int[] IQ3XXS, IQ3S;
    /** ksigns_iq2xs: 7 sign bits and their parity bit; bit j set negates value j of a group of 8. */
    static final int[] KSIGNS;
    /** kvalues_iq4nl: the 16 non-linear levels of IQ4_NL and IQ4_XS. */
    static final byte[] KVALUES_IQ4NL;
    /** IQ1S_DELTA: the shift of IQ1_S's ternary levels. */
    static final float IQ1S_DELTA = 0.125f;

    static {
        Map<String, long[]> t = read();
        IQ2XXS = t.get("iq2xxs_grid");
        IQ2XS = t.get("iq2xs_grid");
        IQ2S = t.get("iq2s_grid");
        IQ1S = t.get("iq1s_grid");
        IQ3XXS = ints(t.get("iq3xxs_grid"));
        IQ3S = ints(t.get("iq3s_grid"));
        KSIGNS = ints(t.get("ksigns_iq2xs"));
        long[] kv = t.get("kvalues_iq4nl");
        KVALUES_IQ4NL = new byte[kv.length];
        for (int i = 0; i < kv.length; i++) KVALUES_IQ4NL[i] = (byte) kv[i];
    }

    private IqGrids() {}

    /** Byte j of a grid entry (unsigned), i.e. the magnitude of value j. */
    static int u8(long entry, int j) {
        return (int) (entry >>> (8 * j)) & 0xff;
    }

    private static int[] ints(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }

    private static Map<String, long[]> read() {
        Map<String, long[]> out = new HashMap<>();
        try (InputStream in = IqGrids.class.getResourceAsStream("iq-grids.txt")) {
            if (in == null) throw new IllegalStateException("iq-grids.txt is missing from the classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            long[] cur = null;
            int n = 0;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                if (!f[0].startsWith("0x") && !f[0].matches("-?\\d+")) {
                    cur = new long[Integer.parseInt(f[1])];
                    out.put(f[0], cur);
                    n = 0;
                    continue;
                }
                for (String v : f) cur[n++] = v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading iq-grids.txt", e);
        }
        return out;
    }
}
