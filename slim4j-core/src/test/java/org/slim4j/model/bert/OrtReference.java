package org.slim4j.model.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slim4j.tokenizer.HfTokenizer;

/** ONNX Runtime on the same .onnx file: the outside reference. Pooling and normalisation are done here, by hand. */
final class OrtReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtReference(Path onnx, int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        session = env.createSession(onnx.toString(), o);
    }

    /** last_hidden_state for one text, [ids.length, hidden] row-major. */
    float[] hiddenStates(int[] ids, int[] types) throws OrtException {
        int n = ids.length;
        long[] id = new long[n], mask = new long[n], type = new long[n];
        for (int i = 0; i < n; i++) {
            id[i] = ids[i];
            mask[i] = 1;
            type[i] = types[i];
        }
        long[] shape = {1, n};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(id), shape);
             OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(type), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            OnnxTensor out = (OnnxTensor) r.get("last_hidden_state").orElseThrow();
            float[] f = new float[(int) (out.getInfo().getShape()[1] * out.getInfo().getShape()[2])];
            out.getFloatBuffer().get(f);
            return f;
        }
    }

    /**
     * A padded batch with its attention mask (pad id 0, mask 0): returns each text's own rows of last_hidden_state.
     * Padding exercises ORT's masked attention, so agreement also shows that unpadded per-text runs equal masked batches.
     */
    float[][] hiddenStatesPadded(List<HfTokenizer.Encoded> batch) throws OrtException {
        int b = batch.size(), len = batch.stream().mapToInt(e -> e.ids().length).max().orElse(0);
        long[] id = new long[b * len], mask = new long[b * len], type = new long[b * len];
        for (int s = 0; s < b; s++) {
            HfTokenizer.Encoded e = batch.get(s);
            for (int i = 0; i < e.ids().length; i++) {
                id[s * len + i] = e.ids()[i];
                mask[s * len + i] = 1;
                type[s * len + i] = e.typeIds()[i];
            }
        }
        long[] shape = {b, len};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(id), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(type), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", c))) {
            OnnxTensor out = (OnnxTensor) r.get("last_hidden_state").orElseThrow();
            int h = (int) out.getInfo().getShape()[2];
            float[] all = new float[b * len * h];
            out.getFloatBuffer().get(all);
            float[][] rows = new float[b][];
            for (int s = 0; s < b; s++) rows[s] = java.util.Arrays.copyOfRange(all, s * len * h, (s * len + batch.get(s).ids().length) * h);
            return rows;
        }
    }

    static float[] pool(float[] hidden, int n, int h, Conventions.Pooling pooling) {
        float[] e = new float[h];
        if (pooling == Conventions.Pooling.CLS) {
            System.arraycopy(hidden, 0, e, 0, h);
        } else {
            for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) e[j] += hidden[i * h + j] / n;
        }
        double s = 0;
        for (float v : e) s += v * v;
        for (int j = 0; j < h; j++) e[j] /= (float) Math.sqrt(s);
        return e;
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
