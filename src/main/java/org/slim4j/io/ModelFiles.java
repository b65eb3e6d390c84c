package org.slim4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.io.TensorFile;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.lossless.LosslessFile;
import org.slim4j.io.onnx.OnnxModelFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.util.BadInputException;

/** Which format a path holds, told by its magic bytes (not its name), and the matching reader. */
public final class ModelFiles {
    public enum Format { GGUF, SAFETENSORS, ONNX, HF_FOLDER }

    private ModelFiles() {}

    /** Bytes on disk: the file, or every file under the folder (config and tokenizer included). */
    public static long bytesOnDisk(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.size(p);
        try (var files = Files.walk(p)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    public static Format detect(Path p) {
        if (Files.isDirectory(p)) {
            if (Files.exists(p.resolve("config.json"))) return Format.HF_FOLDER;
            throw new BadInputException(p, "config.json", "folder has no config.json (not a Hugging Face model folder)");
        }
        if (!Files.isRegularFile(p)) throw new BadInputException(p, "path", "no such file or folder");
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, 8);
        } catch (IOException e) {
            throw new BadInputException(p, "file", "cannot read: " + e.getMessage());
        }
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return Format.GGUF;
        String name = p.getFileName().toString();
        if (name.endsWith(".safetensors")) return Format.SAFETENSORS;
        if (name.endsWith(".onnx")) return Format.ONNX;
        if (n == 8 && head[7] == 0 && head[6] == 0 && head[5] == 0) return Format.SAFETENSORS; // u64 header length
        throw new BadInputException(p, "magic", "not a GGUF, safetensors or ONNX file");
    }

    /** The tensors of a model file or folder (for a Hugging Face folder: its safetensors). */
    public static TensorFile open(Path p) {
        return switch (detect(p)) {
            case GGUF -> GgufFile.open(p);
            case SAFETENSORS, HF_FOLDER -> LosslessFile.decodeIfCoded(SafetensorsFile.open(p));
            case ONNX -> OnnxModelFile.open(p);
        };
    }
}
