package dev.aenstream.produce.transformer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inputs of an exported language model made from a batch of token sequences, right-padded to
 * the longest: whichever of the usual HuggingFace inputs the model declares ({@code input_ids},
 * {@code attention_mask}, {@code token_type_ids}, {@code position_ids}, an empty {@code
 * past_key_values.*} cache and {@code use_cache_branch}), beside inputs the caller makes itself.
 */
public final class TokenFeeds {
    private static final Set<String> KNOWN =
            Set.of(
                    "input_ids",
                    "attention_mask",
                    "token_type_ids",
                    "position_ids",
                    "use_cache_branch");

    private TokenFeeds() {}

    /**
     * Throws unless every input but {@code given} is one this class can feed and {@code input_ids}
     * is among them (or given).
     */
    public static void check(Map<String, NodeInfo> inputs, Set<String> given) {
        if (!inputs.containsKey("input_ids") && !given.contains("input_ids")) {
            throw new IllegalArgumentException(
                    "the model has no 'input_ids' input; its inputs are " + inputs.keySet());
        }
        for (String name : inputs.keySet()) {
            if (!KNOWN.contains(name) && !name.startsWith("past_") && !given.contains(name)) {
                throw new IllegalArgumentException(
                        "model input '"
                                + name
                                + "' is not one this producer can feed (input_ids, attention_mask,"
                                + " token_type_ids, position_ids, past_key_values.*,"
                                + " use_cache_branch)");
            }
        }
    }

    /**
     * Every input {@code session} declares: those of {@code given} as they are (the caller keeps
     * owning them), the others made from {@code sequences}. The caller closes what it did not give.
     */
    public static Map<String, OnnxTensor> of(
            OrtSession session, List<TokenSequence> sequences, Map<String, OnnxTensor> given)
            throws OrtException {
        int batch = sequences.size();
        int seq = sequences.stream().mapToInt(TokenSequence::length).max().orElseThrow();
        OrtEnvironment env = OrtSessions.environment();
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, NodeInfo> input : session.getInputInfo().entrySet()) {
                if (given.containsKey(input.getKey())) continue;
                feeds.put(
                        input.getKey(),
                        feed(
                                env,
                                input.getKey(),
                                (TensorInfo) input.getValue().getInfo(),
                                sequences,
                                batch,
                                seq));
            }
        } catch (OrtException | RuntimeException e) {
            for (OnnxTensor t : feeds.values()) t.close();
            throw e;
        }
        return feeds;
    }

    private static OnnxTensor feed(
            OrtEnvironment env,
            String name,
            TensorInfo info,
            List<TokenSequence> sequences,
            int batch,
            int seq)
            throws OrtException {
        if (name.equals("use_cache_branch"))
            return OnnxTensor.createTensor(env, new boolean[] {false});
        if (name.startsWith("past_")) return emptyCache(env, name, info, batch);
        long[] values = new long[batch * seq];
        for (int b = 0; b < batch; b++) {
            TokenSequence s = sequences.get(b);
            for (int t = 0; t < seq; t++) {
                boolean real = t < s.length();
                values[b * seq + t] =
                        switch (name) {
                            // Padding: masked (encoders) or after every real token (causal
                            // decoders).
                            case "input_ids" -> real ? s.ids()[t] : 0;
                            case "attention_mask" -> real ? 1 : 0;
                            case "token_type_ids" -> real ? s.typeIds()[t] : 0;
                            // HuggingFace fills padding positions with 1.
                            case "position_ids" -> real ? t : 1;
                            default -> throw new IllegalStateException(name);
                        };
            }
        }
        long[] shape = {batch, seq};
        if (info.type == OnnxJavaType.INT32) {
            int[] ints = new int[values.length];
            for (int i = 0; i < ints.length; i++) ints[i] = (int) values[i];
            return OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
    }

    /**
     * A key/value cache holding no past tokens: the batch dimension first, every other free
     * dimension 0.
     */
    private static OnnxTensor emptyCache(
            OrtEnvironment env, String name, TensorInfo info, int batch) throws OrtException {
        long[] shape = info.getShape().clone();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) shape[i] = i == 0 ? batch : 0;
        }
        if (info.type != OnnxJavaType.FLOAT) {
            throw new IllegalArgumentException(
                    "cache input '"
                            + name
                            + "' is "
                            + info.type
                            + "; only float32 caches are supported");
        }
        return OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape);
    }
}
