package dev.aenstream.produce.transformer;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX-exported language model in ONNX Runtime, rewritten so that hooked intermediate tensors
 * are outputs. Feeds whichever of the usual HuggingFace inputs the model declares: {@code
 * input_ids}, {@code attention_mask}, {@code token_type_ids}, {@code position_ids}, an empty {@code
 * past_key_values.*} cache and {@code use_cache_branch}.
 */
public final class TransformerModel implements AutoCloseable {
    private final OrtSessions.Opened opened;
    private final List<String> hooks;

    private TransformerModel(OrtSessions.Opened opened, List<String> hooks) {
        this.opened = opened;
        this.hooks = List.copyOf(hooks);
    }

    /** Opens the model with {@code hooks} exposed as outputs. */
    public static TransformerModel open(
            ModelProto model, List<String> hooks, Device device, int threads) throws OrtException {
        byte[] bytes = HookPoints.withOutputs(model, hooks).toByteArray();
        TransformerModel opened =
                new TransformerModel(OrtSessions.open(bytes, device, threads), hooks);
        try {
            opened.checkInputs();
        } catch (IllegalArgumentException e) {
            opened.close();
            throw e;
        }
        return opened;
    }

    public Device device() {
        return opened.device();
    }

    private void checkInputs() throws OrtException {
        TokenFeeds.check(opened.session().getInputInfo(), Set.of());
    }

    /**
     * Activations of one hook for one padded batch: {@code [batch][seq][width]} flattened
     * row-major.
     */
    public record Activations(float[] values, int batch, int seq, int width) {}

    /**
     * Runs a batch of token sequences, right-padded to the longest, and returns every hook's
     * activations keyed by hook name.
     */
    public Map<String, Activations> run(List<TokenSequence> sequences) throws OrtException {
        int batch = sequences.size();
        int seq = sequences.stream().mapToInt(TokenSequence::length).max().orElseThrow();
        Map<String, OnnxTensor> feeds = feeds(sequences);
        try {
            try (OrtSession.Result result = opened.session().run(feeds, Set.copyOf(hooks))) {
                Map<String, Activations> out = new HashMap<>();
                for (String hook : hooks) {
                    OnnxTensor tensor = (OnnxTensor) result.get(hook).orElseThrow();
                    long[] shape = tensor.getInfo().getShape();
                    if (shape.length != 3 || shape[0] != batch || shape[1] != seq) {
                        throw new IllegalArgumentException(
                                "hook '"
                                        + hook
                                        + "' has shape "
                                        + java.util.Arrays.toString(shape)
                                        + ", not [batch, seq, width]: it is not a per-token"
                                        + " tensor");
                    }
                    FloatBuffer buffer = tensor.getFloatBuffer();
                    float[] values = new float[buffer.remaining()];
                    buffer.get(values);
                    out.put(hook, new Activations(values, batch, seq, (int) shape[2]));
                }
                return out;
            }
        } finally {
            for (OnnxTensor t : feeds.values()) t.close();
        }
    }

    private Map<String, OnnxTensor> feeds(List<TokenSequence> sequences) throws OrtException {
        return TokenFeeds.of(opened.session(), sequences, Map.of());
    }

    /** Width of the first hook (d_model), learnt by running a two-token probe. */
    public int width() throws OrtException {
        TokenSequence probe =
                new TokenSequence(new long[2], new long[2], new int[2], new int[2], new boolean[2]);
        return run(List.of(probe)).get(hooks.get(0)).width();
    }

    /** The hooks this session exposes. */
    public List<String> hooks() {
        return hooks;
    }

    /** A residual-stream tensor one can hook, with its width (d_model). */
    public record Hook(String name, HookPoints.Kind kind, int width) {
        /**
         * {@code name [batch, seq, width] description}: the name first, so scripts can cut it out.
         */
        public String line() {
            String layer = HookPoints.layerOf(name);
            return name
                    + "\t[batch, seq, "
                    + width
                    + "]\t"
                    + kind.description()
                    + (layer.isEmpty() ? "" : ", " + layer);
        }
    }

    /**
     * The residual-stream tensors of the model, in graph order. Shapes are learnt by running the
     * model once on a short probe; candidates whose width is not the model's width (d_model, the
     * width most candidates share) are left out, as are tensors that are not per-token.
     */
    public static List<Hook> listHooks(ModelProto model, Device device) throws OrtException {
        List<HookPoints.Candidate> candidates = HookPoints.candidates(model.getGraph());
        List<String> names = candidates.stream().map(HookPoints.Candidate::name).toList();
        int probeLength = 8;
        Map<String, Integer> widths = new HashMap<>();
        try (TransformerModel probe =
                new TransformerModel(
                        OrtSessions.open(
                                HookPoints.withOutputs(model, names).toByteArray(), device, 0),
                        List.of())) {
            probe.checkInputs();
            List<TokenSequence> one =
                    List.of(
                            new TokenSequence(
                                    new long[probeLength],
                                    new long[probeLength],
                                    new int[probeLength],
                                    new int[probeLength],
                                    new boolean[probeLength]));
            Map<String, OnnxTensor> feeds = probe.feeds(one);
            try (OrtSession.Result result = probe.opened.session().run(feeds, Set.copyOf(names))) {
                for (String name : names) {
                    long[] shape =
                            ((TensorInfo) result.get(name).orElseThrow().getInfo()).getShape();
                    if (shape.length == 3 && shape[0] == 1 && shape[1] == probeLength)
                        widths.put(name, (int) shape[2]);
                }
            } finally {
                for (OnnxTensor t : feeds.values()) t.close();
            }
        }
        int dModel =
                widths.values().stream()
                        .collect(
                                java.util.stream.Collectors.groupingBy(
                                        w -> w, java.util.stream.Collectors.counting()))
                        .entrySet()
                        .stream()
                        .max(Map.Entry.comparingByValue())
                        .map(Map.Entry::getKey)
                        .orElse(-1);
        List<Hook> hooks = new ArrayList<>();
        for (HookPoints.Candidate c : candidates) {
            Integer width = widths.get(c.name());
            if (width != null && width == dModel) hooks.add(new Hook(c.name(), c.kind(), width));
        }
        return hooks;
    }

    @Override
    public void close() throws OrtException {
        opened.close();
    }
}
