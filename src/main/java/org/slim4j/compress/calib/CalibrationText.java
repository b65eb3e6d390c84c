package org.slim4j.compress.calib;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.slim4j.eval.StsB;
import org.slim4j.tokenizer.Tokenizer;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;

/**
 * Calibration batches from text files, reproducible by seed: for encoders, lines (sentences) drawn at random;
 * for decoders, token windows of a fixed length cut at random places of the concatenated text.
 * A .tsv file is read as STS-B (both sentences of every pair).
 */
public final class CalibrationText {
    private CalibrationText() {}

    /** {@code samples} distinct non-blank lines (STS-B sentences for .tsv), shuffled with {@code seed}. */
    public static List<String> sentences(List<Path> files, int samples, long seed) {
        List<String> all = new ArrayList<>();
        for (Path f : files) {
            if (f.getFileName().toString().endsWith(".tsv")) all.addAll(StsB.read(f).sentences());
            else all.addAll(read(f).lines().map(String::strip).filter(s -> !s.isEmpty()).distinct().toList());
        }
        if (all.isEmpty()) throw new BadInputException(files.toString(), "--calib", "no text");
        Collections.shuffle(all, new Random(seed));
        return List.copyOf(all.subList(0, Math.min(samples, all.size())));
    }

    /** {@code samples} windows of {@code seqLen} tokens from random places in the files' text. */
    public static int[][] tokens(List<Path> files, Tokenizer tokenizer, int samples, int seqLen, long seed) {
        StringBuilder sb = new StringBuilder();
        for (Path f : files) sb.append(read(f)).append('\n');
        String text = sb.toString();
        Random rnd = new Random(seed);
        int span = seqLen * 12; // characters that hold a window's tokens with room to spare (~4 chars a token)
        if (text.length() < span) span = text.length();
        int[][] out = new int[samples][];
        for (int s = 0; s < samples; s++) {
            for (int attempt = 0; ; attempt++) {
                int start = rnd.nextInt(Math.max(1, text.length() - span + 1));
                int[] ids = tokenizer.encode(text.substring(start, start + span), false);
                if (ids.length >= seqLen) {
                    out[s] = java.util.Arrays.copyOf(ids, seqLen);
                    break;
                }
                if (attempt > 10) throw new BadInputException(files.toString(), "--calib", "text too short for windows of " + seqLen + " tokens");
            }
        }
        return out;
    }

    private static String read(Path f) {
        return TextFiles.read(f, "--calib");
    }
}
