package org.slim4j.compress.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.tensor.Tensor;

/**
 * Attention heads and FFN channels removed from a Llama-family decoder so that the tensors really shrink (the
 * structured pruning of LLM-Pruner, Ma et al. 2023, and FLAP, An et al. 2024, without their re-fitting): query heads
 * take their q_proj rows and o_proj columns with them, a KV group whose query heads all go takes its k_proj/v_proj
 * rows, FFN channels take their gate/up rows and down_proj columns. Every layer keeps the same counts so that the
 * result is a standard config (num_attention_heads, num_key_value_heads, head_dim, intermediate_size). Tensors are
 * copied in their own dtype, element for element; HF's rotate-half RoPE works within a head, so whole heads move
 * freely.
 */
public final class LlamaShrink {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+)\\.(weight|bias)");

    private LlamaShrink() {}

    /**
     * Copies the HF folder {@code src} to {@code dst} with fewer heads and channels.
     *
     * @param keepHeads    per layer, the query heads to keep (null: all); each kept KV group must keep the same count
     * @param keepChannels per layer, the FFN channels to keep (null: all); the same count in every layer
     */
    public static void write(Path src, Path dst, List<List<Integer>> keepHeads, List<List<Integer>> keepChannels) {
        LlamaConfig c = LlamaConfig.fromHfConfig(src.resolve("config.json"));
        int per = c.heads() / c.kvHeads(), hd = c.headDim();
        List<List<Integer>> heads = new ArrayList<>(), groups = new ArrayList<>(), chans = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            List<Integer> q = keepHeads == null ? BertShrink.range(c.heads()) : keepHeads.get(l);
            List<Integer> g = new ArrayList<>();
            for (int head : q) if (!g.contains(head / per)) g.add(head / per);
            for (int group : g) {
                long n = q.stream().filter(head -> head / per == group).count();
                if (n != q.size() / g.size()) throw new IllegalArgumentException("layer " + l + ": KV groups keep different numbers of query heads " + q);
            }
            heads.add(q);
            groups.add(g);
            chans.add(keepChannels == null ? BertShrink.range(c.ffn()) : keepChannels.get(l));
            if (q.isEmpty() || chans.get(l).isEmpty()) throw new IllegalArgumentException("layer " + l + " would lose all its heads or channels");
            if (q.size() != heads.getFirst().size() || g.size() != groups.getFirst().size() || chans.get(l).size() != chans.getFirst().size()) {
                throw new IllegalArgumentException("layer " + l + " keeps other counts than layer 0; the config needs the same in every layer");
            }
        }
        writeConfig(src, dst, heads.getFirst().size(), groups.getFirst().size(), hd, chans.getFirst().size());
        try (SafetensorsFile in = SafetensorsFile.open(src)) {
            SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
            for (Tensor t : in.tensors()) {
                Matcher m = LAYER.matcher(t.name());
                if (!m.matches()) {
                    out.add(t);
                    continue;
                }
                int l = Integer.parseInt(m.group(1));
                List<Integer> qRows = units(heads.get(l), hd), kvRows = units(groups.get(l), hd), ch = chans.get(l);
                boolean bias = m.group(4).equals("bias");
                out.add(switch (m.group(3)) {
                    case "q_proj" -> rows(t, qRows);
                    case "k_proj", "v_proj" -> rows(t, kvRows);
                    case "o_proj" -> bias ? t : columns(t, qRows);
                    case "gate_proj", "up_proj" -> rows(t, ch);
                    case "down_proj" -> bias ? t : columns(t, ch);
                    default -> t;
                });
            }
            out.write(dst.resolve("model.safetensors"));
        }
    }

    private static void writeConfig(Path src, Path dst, int heads, int kvHeads, int headDim, int ffn) {
        try {
            Files.createDirectories(dst);
            ObjectMapper json = new ObjectMapper();
            ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
            cfg.put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("head_dim", headDim).put("intermediate_size", ffn);
            org.slim4j.util.AtomicFiles.write(dst.resolve("config.json"), tmp -> json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), cfg));
            for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"}) {
                if (Files.isRegularFile(src.resolve(f))) Files.copy(src.resolve(f), dst.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dst, e);
        }
    }

    /** Row (or entry) indices of whole units of {@code size} consecutive rows. */
    private static List<Integer> units(List<Integer> kept, int size) {
        List<Integer> r = new ArrayList<>();
        for (int u : kept) for (int j = 0; j < size; j++) r.add(u * size + j);
        return r;
    }

    /** The selected rows of [rows, cols] (or entries of a vector), bytes copied as they are. */
    static Tensor rows(Tensor t, List<Integer> keep) {
        long rowBytes = t.dtype().bytesFor(t.shape().length == 1 ? 1 : t.cols());
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(rowBytes * keep.size())]);
        for (int i = 0; i < keep.size(); i++) MemorySegment.copy(t.data(), keep.get(i) * rowBytes, out, i * rowBytes, rowBytes);
        long[] shape = t.shape().clone();
        shape[0] = keep.size();
        return new Tensor(t.name(), t.dtype(), shape, out);
    }

    /** The selected columns of [rows, cols], bytes copied as they are. */
    static Tensor columns(Tensor t, List<Integer> keep) {
        if (t.dtype().isQuantized()) throw new IllegalArgumentException(t.name() + " is block-quantized; shrink the float checkpoint");
        long e = t.dtype().bytesFor(1), rows = t.rows(), cols = t.cols();
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(rows * keep.size() * e)]);
        for (long r = 0; r < rows; r++) {
            for (int i = 0; i < keep.size(); i++) MemorySegment.copy(t.data(), (r * cols + keep.get(i)) * e, out, (r * keep.size() + i) * e, e);
        }
        return new Tensor(t.name(), t.dtype(), new long[] {rows, keep.size()}, out);
    }
}
