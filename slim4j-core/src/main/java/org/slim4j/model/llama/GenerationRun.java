package org.slim4j.model.llama;

import java.util.function.Consumer;
import org.slim4j.model.Generation;
import org.slim4j.model.Generation.FinishReason;
import org.slim4j.model.GenerationOptions;
import org.slim4j.model.StopStrings;
import org.slim4j.tokenizer.TextStream;

/**
 * One generation as a sequence of steps: the first {@link #step()} prefills the prompt and picks a token, each later one
 * decodes the last token and picks the next, until an end-of-generation token, a stop string, the token limit or the
 * end of the context. Text reaches {@code onText} as it becomes final ({@link TextStream}, {@link StopStrings}).
 * {@link Decoder#generate} runs the steps in a loop; a server interleaves the steps of several runs on one model.
 * An exception thrown by {@code onText} (a client that went away) ends the run and propagates.
 */
public final class GenerationRun {
    private final Decoder model;
    private final int[] prompt;
    private final int limit;
    private final Sampler sampler;
    private final int[] endIds;
    private final TextStream text;
    private final StopStrings stops;
    private final Consumer<String> onText;
    private final StringBuilder out = new StringBuilder();
    private DecoderSession session;
    private float[] logits;
    private int lastToken;
    private int generated;
    private FinishReason finish;

    public GenerationRun(Decoder model, int[] prompt, GenerationOptions o, Consumer<String> onText) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt needs at least one token");
        if (prompt.length > model.contextLength()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens, more than the model's context of " + model.contextLength());
        }
        this.model = model;
        this.prompt = prompt.clone();
        this.limit = (int) Math.min(o.maxNewTokens(), model.contextLength() - (long) prompt.length);
        this.sampler = Sampler.random(o.temperature(), o.topK(), o.topP(), o.seed());
        this.endIds = EndTokens.of(model);
        this.text = new TextStream(model.tokenizer(), prompt);
        this.stops = new StopStrings(o.stop());
        this.onText = onText;
        if (limit <= 0) finish = FinishReason.LENGTH;
    }

    /** Does one step; false once the run has ended (then {@link #result()} is final). */
    public boolean step() {
        if (finish != null) return false;
        if (session == null) {
            session = model.newSession(prompt.length + limit);
            logits = session.prefill(prompt);
        } else {
            logits = session.decode(lastToken);
        }
        int next = sampler.sample(logits);
        if (isEnd(next)) return end(FinishReason.STOP);
        lastToken = next;
        generated++;
        emit(stops.push(text.push(next)));
        if (stops.stopped()) return end(FinishReason.STOP);
        if (generated == limit) return end(FinishReason.LENGTH);
        return true;
    }

    private boolean end(FinishReason why) {
        finish = why;
        if (why == FinishReason.LENGTH || !stops.stopped()) emit(stops.push(text.flush()) + stops.flush());
        session = null; // the KV cache goes with it
        return false;
    }

    private void emit(String s) {
        if (s.isEmpty()) return;
        out.append(s);
        if (onText != null) onText.accept(s);
    }

    private boolean isEnd(int id) {
        for (int e : endIds) if (e == id) return true;
        return false;
    }

    public boolean done() {
        return finish != null;
    }

    /** Tokens generated so far (end tokens not counted). */
    public int generated() {
        return generated;
    }

    public int promptTokens() {
        return prompt.length;
    }

    /** The text so far and, once the run has ended, why it ended (LENGTH while it runs). */
    public Generation result() {
        return new Generation(out.toString(), prompt.length, generated, finish == null ? FinishReason.LENGTH : finish);
    }
}
