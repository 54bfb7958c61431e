package dev.aenstream.sae.train;

import static dev.aenstream.sae.train.TrainStepGraph.next;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs {@link TrainStepGraph} in ONNX Runtime. The training state lives in two slots of direct
 * buffers: a step reads one slot and writes the other through pinned outputs, then they swap, so
 * parameters and Adam state never travel through the Java heap between steps. A skipped step (loss
 * or gradient norm not finite) does not swap: the slot it read is the state still, which spares the
 * graph a select over every state tensor per step.
 */
public final class TrainStep implements TrainingStep {
    private TrainConfig config;
    private final OrtSessions.Opened opened;
    private final OrtEnvironment env = OrtSessions.environment();
    private final List<String> stateNames = new ArrayList<>();
    private final Map<String, long[]> shapes = new HashMap<>();
    private final List<Map<String, FloatBuffer>> buffers =
            List.of(new HashMap<>(), new HashMap<>());
    private final List<Map<String, OnnxTensor>> tensors = List.of(new HashMap<>(), new HashMap<>());
    private final Map<String, OnnxTensor> constants = new HashMap<>();
    private final Set<String> requested = new LinkedHashSet<>();
    private final FloatBuffer x;
    private int current;
    private long step;

    private TrainStep(TrainConfig config, OrtSessions.Opened opened) throws OrtException {
        this.config = config;
        this.opened = opened;
        int n = config.n();
        int d = config.d();
        shapes.put("W_enc", new long[] {d, n});
        shapes.put("b_enc", new long[] {d});
        shapes.put("W_dec", new long[] {n, d});
        shapes.put("b_dec", new long[] {n});
        for (String p : TrainStepGraph.PARAMETERS) {
            stateNames.add(p);
            stateNames.add(TrainStepGraph.m(p));
            stateNames.add(TrainStepGraph.v(p));
            shapes.put(TrainStepGraph.m(p), shapes.get(p));
            shapes.put(TrainStepGraph.v(p), shapes.get(p));
        }
        for (String name : config.penalty().state()) {
            stateNames.add(name);
            shapes.put(name, new long[] {d});
        }
        for (int slot = 0; slot < 2; slot++) {
            for (String name : stateNames) {
                long[] shape = shapes.get(name);
                long count = 1;
                for (long dim : shape) count *= dim;
                FloatBuffer buffer =
                        ByteBuffer.allocateDirect(Math.toIntExact(count * 4))
                                .order(ByteOrder.nativeOrder())
                                .asFloatBuffer();
                buffers.get(slot).put(name, buffer);
                tensors.get(slot).put(name, OnnxTensor.createTensor(env, buffer, shape));
            }
        }
        x =
                ByteBuffer.allocateDirect(config.get(TrainConfig.BATCH) * n * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        constants.put("lr", scalar(config.get(TrainConfig.LR)));
        constants.put("beta1", scalar(config.get(TrainConfig.ADAM_BETA1)));
        constants.put("beta2", scalar(config.get(TrainConfig.ADAM_BETA2)));
        constants.put("eps", scalar(config.get(TrainConfig.ADAM_EPS)));
        constants.put("max_grad_norm", scalar(config.get(TrainConfig.MAX_GRAD_NORM)));
        for (Map.Entry<String, Number> c :
                config.penalty().constants(config.settings(), d).entrySet())
            constants.put(c.getKey(), constant(c.getValue()));
        requested.addAll(TrainStepGraph.SCALAR_OUTPUTS);
        requested.addAll(TrainStepGraph.FEATURE_OUTPUTS);
        requested.addAll(config.penalty().outputs());
    }

    /** Builds the step graph for the configuration and opens it with the given state. */
    public static TrainStep open(TrainConfig config, TrainState state, Device device, int threads)
            throws OrtException {
        byte[] model =
                TrainStepGraph.build(
                                new TrainStepGraph.Spec(
                                        config.n(),
                                        config.d(),
                                        config.penalty(),
                                        DataType.FLOAT,
                                        false))
                        .toByteArray();
        TrainStep step = new TrainStep(config, OrtSessions.open(model, device, threads));
        step.load(state);
        return step;
    }

    private OnnxTensor scalar(double value) throws OrtException {
        return OnnxTensor.createTensor(env, (float) value);
    }

    /** A Long feeds an int64 [1] tensor, anything else a real scalar. */
    private OnnxTensor constant(Number value) throws OrtException {
        return value instanceof Long l
                ? OnnxTensor.createTensor(env, new long[] {l})
                : scalar(value.doubleValue());
    }

    @Override
    public TrainConfig config() {
        return config;
    }

    /**
     * Trains from the next step on with another lambda1 (matched sparsity moves it during
     * calibration); the configuration, and so every checkpoint, records the new value.
     */
    @Override
    public void setLambda1(double lambda1) throws OrtException {
        config = config.withLambda1(lambda1);
        constants.put("lambda1", scalar(lambda1)).close();
    }

    @Override
    public Device device() {
        return opened.device();
    }

    /** Steps applied so far. */
    @Override
    public long step() {
        return step;
    }

    /** Replaces the training state (a resume, or a fresh run). */
    @Override
    public void load(TrainState state) {
        state.requireShape(config.n(), config.d());
        Map<String, FloatBuffer> slot = buffers.get(current);
        float[][] values = TrainState.values(state.params());
        for (int i = 0; i < 4; i++) {
            String p = TrainState.PARAMETER_ORDER[i];
            slot.get(p).clear().put(values[i]);
            slot.get(TrainStepGraph.m(p)).clear().put(state.adamM()[i]);
            slot.get(TrainStepGraph.v(p)).clear().put(state.adamV()[i]);
        }
        for (String name : config.penalty().state()) slot.get(name).clear().put(state.vector(name));
        step = state.step();
    }

    /** A copy of the current state, for checkpoints and exports. */
    @Override
    public TrainState state() {
        Map<String, FloatBuffer> slot = buffers.get(current);
        float[][] m = new float[4][];
        float[][] v = new float[4][];
        for (int i = 0; i < 4; i++) {
            String name = TrainState.PARAMETER_ORDER[i];
            m[i] = read(slot.get(TrainStepGraph.m(name)));
            v[i] = read(slot.get(TrainStepGraph.v(name)));
        }
        float[] ema =
                slot.containsKey(Penalty.EMA)
                        ? read(slot.get(Penalty.EMA))
                        : TrainState.ones(config.d());
        float[] firing =
                slot.containsKey(Penalty.FIRING_EMA)
                        ? read(slot.get(Penalty.FIRING_EMA))
                        : TrainState.ones(config.d());
        float[] since =
                slot.containsKey(Penalty.SINCE_FIRED)
                        ? read(slot.get(Penalty.SINCE_FIRED))
                        : new float[config.d()];
        return new TrainState(step, parameters(), m, v, ema, firing, since);
    }

    /**
     * The current parameters (a copy), without the Adam state and EMAs: what publishing a version
     * and the trainer's live measurements need, at a third of the copying.
     */
    @Override
    public SaeParameters parameters() {
        Map<String, FloatBuffer> slot = buffers.get(current);
        float[][] p = new float[4][];
        for (int i = 0; i < 4; i++) p[i] = read(slot.get(TrainState.PARAMETER_ORDER[i]));
        return new SaeParameters(config.n(), config.d(), p[0], p[1], p[2], p[3]);
    }

    private static float[] read(FloatBuffer buffer) {
        float[] out = new float[buffer.capacity()];
        buffer.duplicate().clear().get(out);
        return out;
    }

    /**
     * Runs one step on {@code rows} rows of width n taken from {@code batch} at {@code offset}. The
     * step number t advances only when the step is applied.
     */
    @Override
    public StepResult run(float[] batch, int offset, int rows) throws OrtException {
        int batchSize = config.get(TrainConfig.BATCH);
        if (rows <= 0 || rows > batchSize) {
            throw new IllegalArgumentException(
                    "a step takes 1.." + batchSize + " rows, got " + rows);
        }
        x.clear().put(batch, offset, rows * config.n()).flip();
        long t = step + 1;
        double phi = config.phi(t);
        int next = 1 - current;
        Map<String, OnnxTensor> perStep = new HashMap<>();
        try (OnnxTensor xTensor = OnnxTensor.createTensor(env, x, new long[] {rows, config.n()});
                OnnxTensor bc1 = scalar(1 - Math.pow(config.get(TrainConfig.ADAM_BETA1), t));
                OnnxTensor bc2 = scalar(1 - Math.pow(config.get(TrainConfig.ADAM_BETA2), t))) {
            for (Map.Entry<String, Double> v :
                    config.penalty().perStep(config.settings(), t).entrySet())
                perStep.put(v.getKey(), scalar(v.getValue()));
            Map<String, OnnxTensor> inputs = new HashMap<>(constants);
            inputs.putAll(tensors.get(current));
            inputs.putAll(perStep);
            inputs.put(TrainStepGraph.X, xTensor);
            inputs.put("bias_correction1", bc1);
            inputs.put("bias_correction2", bc2);
            Map<String, OnnxTensor> pinned = new HashMap<>();
            tensors.get(next).forEach((name, tensor) -> pinned.put(next(name), tensor));
            try (OrtSession.Result result = opened.session().run(inputs, requested, pinned)) {
                boolean applied = value(result, "applied") > 0.5;
                if (applied) {
                    current = next;
                    step = t;
                }
                return new StepResult(
                        t,
                        applied,
                        rows,
                        value(result, "mse"),
                        value(result, "l1"),
                        value(result, "l2"),
                        value(result, "loss"),
                        value(result, "grad_norm"),
                        value(result, "l0"),
                        value(result, "fve"),
                        phi,
                        array(result, "mean_abs_h"),
                        array(result, "max_abs_h"),
                        array(result, "fire_counts"),
                        requested.contains(Penalty.WEIGHTS) ? array(result, Penalty.WEIGHTS) : null,
                        requested.contains(Penalty.AUX_LOSS) ? value(result, Penalty.AUX_LOSS) : 0);
            }
        } finally {
            for (OnnxTensor tensor : perStep.values()) tensor.close();
        }
    }

    private static double value(OrtSession.Result result, String name) throws OrtException {
        return ((Float) ((OnnxTensor) result.get(name).orElseThrow()).getValue()).doubleValue();
    }

    private static float[] array(OrtSession.Result result, String name) {
        FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    @Override
    public void close() throws OrtException {
        for (Map<String, OnnxTensor> slot : tensors) for (OnnxTensor t : slot.values()) t.close();
        for (OnnxTensor t : constants.values()) t.close();
        opened.close();
    }
}
