package org.slim4j.compress.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slim4j.compress.calib.LlamaBlocks;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.Tensor;

/**
 * Whole-block removal for decoders (ShortGPT, Men et al. 2024): block influence 1 - cos(block input, block output)
 * averaged over calibration tokens; the least influential blocks go. Pre-norm residual blocks make this exact to
 * express: a removed block is the identity on the residual stream. The result is a Hugging Face folder with fewer
 * layers (renumbered, tensors copied byte for byte in their original dtype) that LlamaLoader.loadHf reads.
 */
public final class LlamaBlockRemoval {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");

    private LlamaBlockRemoval() {}

    public static double[] blockInfluence(LlamaModel model, int[][] calibration) {
        LlamaBlocks blocks = new LlamaBlocks(model, calibration);
        int h = model.config().hidden();
        double[] bi = new double[blocks.blocks()];
        float[] x = blocks.embed();
        for (int l = 0; l < bi.length; l++) {
            float[] in = x.clone();
            blocks.forward(l, x, null);
            bi[l] = 1 - BertImportance.meanCosine(in, x, h);
        }
        return bi;
    }

    /** The layers kept when the {@code remove} least influential go, ascending. */
    public static List<Integer> keep(double[] influence, int remove) {
        return Ranking.keepTop(influence, influence.length - remove);
    }

    /** Copies the HF folder {@code src} to {@code dst} with only {@code keep}'s layers, renumbered 0.. */
    public static void write(Path src, Path dst, List<Integer> keep) {
        try {
            Files.createDirectories(dst);
            ObjectMapper json = new ObjectMapper();
            ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
            cfg.put("num_hidden_layers", keep.size());
            json.writerWithDefaultPrettyPrinter().writeValue(dst.resolve("config.json").toFile(), cfg);
            for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"}) {
                if (Files.isRegularFile(src.resolve(f))) Files.copy(src.resolve(f), dst.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dst, e);
        }
        try (SafetensorsFile in = SafetensorsFile.open(src)) {
            SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
            for (Tensor t : in.tensors()) {
                Matcher m = LAYER.matcher(t.name());
                if (!m.matches()) {
                    out.add(t);
                    continue;
                }
                int now = keep.indexOf(Integer.parseInt(m.group(1)));
                if (now >= 0) out.add("model.layers." + now + "." + m.group(2), t.dtype(), t.shape(), t.data());
            }
            out.write(dst.resolve("model.safetensors"));
        }
    }
}
