package org.slim4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.model.Encoder;
import org.slim4j.tokenizer.HfTokenizer;

/**
 * ONNX Runtime running a BERT-family .onnx file, batched with padding and an attention mask: the anchor slim4j's
 * encoders are compared with (speed in `slim4j bench` and the default job, quality in the tests).
 */
public final class OrtEncoder implements Encoder {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final HfTokenizer tokenizer;
    private final boolean clsPooling;
    private final int maxLength;
    private final int hidden;

    public OrtEncoder(Path onnx, HfTokenizer tokenizer, boolean clsPooling, int maxLength, int threads) {
        this.tokenizer = tokenizer;
        this.clsPooling = clsPooling;
        this.maxLength = maxLength;
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            if (threads > 0) o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            session = env.createSession(onnx.toString(), o);
            hidden = (int) embed1("a")[0].length;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot run " + onnx + ": " + e.getMessage(), e);
        }
    }

    private float[][] embed1(String s) throws OrtException {
        return run(List.of(s));
    }

    @Override
    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public int dimension() {
        return hidden;
    }

    @Override
    public float[][] embed(List<String> texts) {
        try {
            return run(texts);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private float[][] run(List<String> texts) throws OrtException {
        int b = texts.size();
        HfTokenizer.Encoded[] enc = new HfTokenizer.Encoded[b];
        int len = 0;
        for (int i = 0; i < b; i++) {
            enc[i] = tokenizer.encode(texts.get(i), true, maxLength);
            len = Math.max(len, enc[i].ids().length);
        }
        long[] ids = new long[b * len], mask = new long[b * len], types = new long[b * len];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < enc[i].ids().length; j++) {
                ids[i * len + j] = enc[i].ids()[j];
                types[i * len + j] = enc[i].typeIds()[j];
                mask[i * len + j] = 1;
            }
        }
        long[] shape = {b, len};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)) {
            inputs.put("input_ids", a);
            inputs.put("attention_mask", m);
            if (session.getInputNames().contains("token_type_ids")) inputs.put("token_type_ids", t);
            try (OrtSession.Result r = session.run(inputs)) {
                OnnxTensor out = (OnnxTensor) r.get(0);
                long[] s = out.getInfo().getShape();
                int h = (int) s[2];
                float[] all = new float[(int) (s[0] * s[1] * s[2])];
                out.getFloatBuffer().get(all);
                float[][] res = new float[b][h];
                for (int i = 0; i < b; i++) {
                    int n = enc[i].ids().length;
                    float[] e = res[i];
                    int rows = clsPooling ? 1 : n;
                    for (int j = 0; j < rows; j++) for (int k = 0; k < h; k++) e[k] += all[(i * len + j) * h + k];
                    double norm = 0;
                    for (float v : e) norm += (double) v * v;
                    float inv = (float) (1 / Math.sqrt(norm));
                    for (int k = 0; k < h; k++) e[k] *= inv;
                }
                return res;
            }
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
