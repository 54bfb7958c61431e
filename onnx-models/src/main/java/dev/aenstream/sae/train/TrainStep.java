package dev.aenstream.sae.train;

import static dev.aenstream.sae.onnx.TrainStepGraph.EMA;
import static dev.aenstream.sae.onnx.TrainStepGraph.next;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.Arch;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.TrainStepGraph;
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
 * parameters and Adam state never travel through the Java heap between steps.
 */
public final class TrainStep implements AutoCloseable {
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
        if (!topK()) {
            stateNames.add(EMA);
            shapes.put(EMA, new long[] {d});
        }
        if (ghost()) {
            stateNames.add(TrainStepGraph.FIRING_EMA);
            shapes.put(TrainStepGraph.FIRING_EMA, new long[] {d});
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
                ByteBuffer.allocateDirect(config.batch() * n * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        constants.put("lr", scalar(config.lr()));
        constants.put("beta1", scalar(config.adamBeta1()));
        constants.put("beta2", scalar(config.adamBeta2()));
        constants.put("eps", scalar(config.adamEps()));
        constants.put("max_grad_norm", scalar(config.maxGradNorm()));
        if (topK()) {
            constants.put(TrainStepGraph.K, OnnxTensor.createTensor(env, new long[] {config.k()}));
        } else {
            constants.put("lambda1", scalar(config.lambda1()));
            constants.put("lambda2", scalar(config.effectiveLambda2()));
            constants.put("ema_beta", scalar(config.beta()));
            constants.put("gamma", scalar(config.gamma()));
            constants.put("w_min", scalar(config.wMin()));
            constants.put("w_max", scalar(config.wMax()));
            constants.put(
                    TrainStepGraph.REFERENCE_COUNT,
                    OnnxTensor.createTensor(env, new long[] {config.referenceCount()}));
        }
        if (ghost()) {
            constants.put("ghost_scale", scalar(config.ghostScale()));
            constants.put("ghost_threshold", scalar(config.ghostThreshold()));
            constants.put("ghost_beta", scalar(config.ghostBeta()));
            requested.add(TrainStepGraph.GHOST_LOSS);
        }
        requested.addAll(TrainStepGraph.SCALAR_OUTPUTS);
        requested.addAll(TrainStepGraph.FEATURE_OUTPUTS);
        if (!topK()) requested.add("w");
    }

    /** Builds the step graph for the configuration and opens it with the given state. */
    public static TrainStep open(TrainConfig config, TrainState state, Device device, int threads)
            throws OrtException {
        byte[] model =
                TrainStepGraph.build(
                                new TrainStepGraph.Spec(
                                        config.n(),
                                        config.d(),
                                        config.arch() == Arch.TOPK,
                                        config.arch().ghost(),
                                        DataType.FLOAT,
                                        false))
                        .toByteArray();
        TrainStep step = new TrainStep(config, OrtSessions.open(model, device, threads));
        step.load(state);
        return step;
    }

    private boolean topK() {
        return config.arch() == Arch.TOPK;
    }

    private boolean ghost() {
        return config.arch().ghost();
    }

    private OnnxTensor scalar(double value) throws OrtException {
        return OnnxTensor.createTensor(env, (float) value);
    }

    public TrainConfig config() {
        return config;
    }

    /**
     * Trains from the next step on with another lambda1 (matched sparsity moves it during
     * calibration); the configuration, and so every checkpoint, records the new value.
     */
    public void setLambda1(double lambda1) throws OrtException {
        if (topK()) throw new IllegalStateException("TopK has no lambda1");
        config = config.toBuilder().lambda1(lambda1).build();
        constants.put("lambda1", scalar(lambda1)).close();
    }

    public Device device() {
        return opened.device();
    }

    /** Steps applied so far. */
    public long step() {
        return step;
    }

    /** Replaces the training state (a resume, or a fresh run). */
    public void load(TrainState state) {
        if (state.params().n() != config.n() || state.params().d() != config.d()) {
            throw new IllegalArgumentException(
                    "state has n="
                            + state.params().n()
                            + ", D="
                            + state.params().d()
                            + " but the run is configured for n="
                            + config.n()
                            + ", D="
                            + config.d());
        }
        Map<String, FloatBuffer> slot = buffers.get(current);
        float[][] values = TrainState.values(state.params());
        for (int i = 0; i < 4; i++) {
            String p = TrainState.PARAMETER_ORDER[i];
            slot.get(p).clear().put(values[i]);
            slot.get(TrainStepGraph.m(p)).clear().put(state.adamM()[i]);
            slot.get(TrainStepGraph.v(p)).clear().put(state.adamV()[i]);
        }
        if (!topK()) slot.get(EMA).clear().put(state.ema());
        if (ghost()) slot.get(TrainStepGraph.FIRING_EMA).clear().put(state.firingEma());
        step = state.step();
    }

    /** A copy of the current state, for checkpoints and exports. */
    public TrainState state() {
        Map<String, FloatBuffer> slot = buffers.get(current);
        float[][] m = new float[4][];
        float[][] v = new float[4][];
        for (int i = 0; i < 4; i++) {
            String name = TrainState.PARAMETER_ORDER[i];
            m[i] = read(slot.get(TrainStepGraph.m(name)));
            v[i] = read(slot.get(TrainStepGraph.v(name)));
        }
        float[] ema = topK() ? TrainState.ones(config.d()) : read(slot.get(EMA));
        float[] firing =
                ghost() ? read(slot.get(TrainStepGraph.FIRING_EMA)) : TrainState.ones(config.d());
        return new TrainState(step, parameters(), m, v, ema, firing);
    }

    /**
     * The current parameters (a copy), without the Adam state and EMAs: what publishing a version
     * and the trainer's live measurements need, at a third of the copying.
     */
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
    public StepResult run(float[] batch, int offset, int rows) throws OrtException {
        if (rows <= 0 || rows > config.batch()) {
            throw new IllegalArgumentException(
                    "a step takes 1.." + config.batch() + " rows, got " + rows);
        }
        x.clear().put(batch, offset, rows * config.n()).flip();
        long t = step + 1;
        double phi = config.phi(t);
        int next = 1 - current;
        try (OnnxTensor xTensor = OnnxTensor.createTensor(env, x, new long[] {rows, config.n()});
                OnnxTensor bc1 = scalar(1 - Math.pow(config.adamBeta1(), t));
                OnnxTensor bc2 = scalar(1 - Math.pow(config.adamBeta2(), t));
                OnnxTensor phiTensor = scalar(phi);
                OnnxTensor ghostOn = scalar(ghost() && t >= config.ghostMinSteps() ? 1 : 0)) {
            Map<String, OnnxTensor> inputs = new HashMap<>(constants);
            inputs.putAll(tensors.get(current));
            inputs.put(TrainStepGraph.X, xTensor);
            inputs.put("bias_correction1", bc1);
            inputs.put("bias_correction2", bc2);
            if (!topK()) inputs.put("phi", phiTensor);
            if (ghost()) inputs.put("ghost_on", ghostOn);
            Map<String, OnnxTensor> pinned = new HashMap<>();
            tensors.get(next).forEach((name, tensor) -> pinned.put(next(name), tensor));
            try (OrtSession.Result result = opened.session().run(inputs, requested, pinned)) {
                boolean applied = value(result, "applied") > 0.5;
                current = next;
                if (applied) step = t;
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
                        topK() ? null : array(result, "w"),
                        ghost() ? value(result, TrainStepGraph.GHOST_LOSS) : 0);
            }
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
