package dev.aenstream.produce.splice;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aenstream.produce.transformer.HookPoints;
import dev.aenstream.produce.transformer.TokenFeeds;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A language model in two ONNX Runtime sessions: the model as it is, reporting the hooked tensor
 * beside its output, and the model with the hooked tensor fed from outside ({@link HookSplice}), so
 * the same tokens can run with the SAE's reconstruction or with zeros in the hook's place.
 */
public final class SplicedModel implements AutoCloseable {
    /** What the model's output is: next-token logits, or per-token embeddings to pool. */
    public enum Head {
        LOGITS,
        EMBEDDING
    }

    /** One batch's tensors, each {@code [batch][seq][width]} flattened row-major. */
    public record Pass(float[] hook, int width, float[] head, int headWidth, int batch, int seq) {}

    /** Output names taken as a language-model head, then as an embedding model's. */
    static final String LOGITS = "logits";

    static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private final OrtSessions.Opened clean;
    private final OrtSessions.Opened spliced;
    private final String hook;
    private final String output;
    private final Head head;

    private SplicedModel(
            OrtSessions.Opened clean,
            OrtSessions.Opened spliced,
            String hook,
            String output,
            Head head) {
        this.clean = clean;
        this.spliced = spliced;
        this.hook = hook;
        this.output = output;
        this.head = head;
    }

    /** Opens {@code model} to splice at {@code hook}. */
    public static SplicedModel open(ModelProto model, String hook, Device device, int threads)
            throws OrtException {
        List<String> outputs =
                model.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
        String output;
        Head head;
        if (outputs.contains(LOGITS)) {
            output = LOGITS;
            head = Head.LOGITS;
        } else if (outputs.contains(LAST_HIDDEN_STATE) || outputs.size() == 1) {
            output = outputs.contains(LAST_HIDDEN_STATE) ? LAST_HIDDEN_STATE : outputs.get(0);
            head = Head.EMBEDDING;
        } else {
            throw new IllegalArgumentException(
                    "cannot tell the model's output: it has no '"
                            + LOGITS
                            + "' (a language model) or '"
                            + LAST_HIDDEN_STATE
                            + "' (an embedding model) among "
                            + outputs);
        }
        byte[] cleanBytes = HookPoints.withOutputs(model, List.of(hook, output)).toByteArray();
        byte[] splicedBytes = HookSplice.spliced(model, hook, List.of(output)).toByteArray();
        OrtSessions.Opened c = OrtSessions.open(cleanBytes, device, threads);
        OrtSessions.Opened s = null;
        try {
            s = OrtSessions.open(splicedBytes, device, threads);
            TokenFeeds.check(c.session().getInputInfo(), Set.of());
            // What comes after the hook may no longer need the token ids.
            TokenFeeds.check(
                    s.session().getInputInfo(), Set.of(HookSplice.inputName(hook), "input_ids"));
            return new SplicedModel(c, s, hook, output, head);
        } catch (OrtException | RuntimeException e) {
            if (s != null) s.close();
            c.close();
            throw e;
        }
    }

    public Head head() {
        return head;
    }

    /** The hooked tensor's name. */
    public String hook() {
        return hook;
    }

    /** The model as it is on {@code batch}: the hooked tensor and the output. */
    public Pass clean(List<TokenSequence> batch) throws OrtException {
        Map<String, OnnxTensor> feeds = TokenFeeds.of(clean.session(), batch, Map.of());
        try (OrtSession.Result result = clean.session().run(feeds, Set.of(hook, output))) {
            Tensor x = tensor(result, hook, batch);
            Tensor y = tensor(result, output, batch);
            return new Pass(x.values, x.width, y.values, y.width, batch.size(), x.seq);
        } finally {
            for (OnnxTensor t : feeds.values()) t.close();
        }
    }

    /**
     * The output on {@code batch} with {@code replacement} ({@code [batch][seq][width]}) in the
     * hooked tensor's place.
     */
    public float[] spliced(List<TokenSequence> batch, float[] replacement, int width)
            throws OrtException {
        int seq = batch.stream().mapToInt(TokenSequence::length).max().orElseThrow();
        if (replacement.length != batch.size() * seq * width)
            throw new IllegalArgumentException(
                    "a replacement of "
                            + replacement.length
                            + " values for a batch of "
                            + batch.size()
                            + " x "
                            + seq
                            + " x "
                            + width);
        try (OnnxTensor x =
                OnnxTensor.createTensor(
                        OrtSessions.environment(),
                        FloatBuffer.wrap(replacement),
                        new long[] {batch.size(), seq, width})) {
            Map<String, OnnxTensor> given = Map.of(HookSplice.inputName(hook), x);
            Map<String, OnnxTensor> feeds = TokenFeeds.of(spliced.session(), batch, given);
            Map<String, OnnxTensor> all = new HashMap<>(feeds);
            all.putAll(given);
            try (OrtSession.Result result = spliced.session().run(all, Set.of(output))) {
                return tensor(result, output, batch).values;
            } finally {
                for (OnnxTensor t : feeds.values()) t.close();
            }
        }
    }

    private record Tensor(float[] values, int seq, int width) {}

    private static Tensor tensor(OrtSession.Result result, String name, List<TokenSequence> batch)
            throws OrtException {
        OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
        long[] shape = t.getInfo().getShape();
        int seq = batch.stream().mapToInt(TokenSequence::length).max().orElseThrow();
        if (shape.length != 3 || shape[0] != batch.size() || shape[1] != seq)
            throw new IllegalArgumentException(
                    "'"
                            + name
                            + "' has shape "
                            + Arrays.toString(shape)
                            + ", not [batch, seq, width]: it is not a per-token tensor");
        FloatBuffer buffer = t.getFloatBuffer();
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        return new Tensor(values, seq, (int) shape[2]);
    }

    @Override
    public void close() throws OrtException {
        try (clean;
                spliced) {
            // both sessions
        }
    }
}
