package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.OrtSessions;
import dev.aenstream.sae.setting.SettingValues;
import java.nio.DoubleBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hand-written backward pass against central finite differences of the loss, on a float64 build
 * of the same graph. The EMA's beta is 1 here so that wt is a constant of the parameters, as the
 * spec says it is for the gradient (no gradient flows through the adaptive weights).
 */
class GradientCheckTest {
    private static final int N = 5;
    private static final int D = 7;
    private static final int B = 6;
    private static final double H = 1e-6;

    // Ghost is left out: its proxy holds the residual constant (a stop-gradient), which finite
    // differences of the loss cannot do; TrainStepFixtureTest checks it against PyTorch autograd.
    @ParameterizedTest
    @ValueSource(strings = {"aen", "l1", "elastic", "alasso", "topk"})
    void gradientsMatchCentralFiniteDifferences(String label) throws Exception {
        Penalty arch = Penalties.parse(label);
        byte[] model =
                TrainStepGraph.build(new TrainStepGraph.Spec(N, D, arch, DataType.DOUBLE, true))
                        .toByteArray();
        OrtEnvironment env = OrtSessions.environment();
        SplittableRandom random = new SplittableRandom(Penalties.ALL.indexOf(arch) + 1);
        Map<String, double[]> params = new LinkedHashMap<>();
        params.put("W_enc", gaussian(random, D * N, 0.5));
        params.put("b_enc", gaussian(random, D, 0.3));
        params.put("W_dec", gaussian(random, N * D, 0.5));
        params.put("b_dec", gaussian(random, N, 0.3));
        double[] x = gaussian(random, B * N, 1.5);
        double[] ema = new double[D];
        for (int j = 0; j < D; j++) ema[j] = 0.05 + random.nextDouble();

        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
            Map<String, double[]> grads = new HashMap<>();
            double loss = run(env, session, arch, params, x, ema, grads);
            assertThat(loss).isFinite();
            for (Map.Entry<String, double[]> e : params.entrySet()) {
                double[] values = e.getValue();
                double[] analytic = grads.get(e.getKey());
                double[] numeric = new double[values.length];
                for (int i = 0; i < values.length; i++) {
                    double keep = values[i];
                    values[i] = keep + H;
                    double up = run(env, session, arch, params, x, ema, null);
                    values[i] = keep - H;
                    double down = run(env, session, arch, params, x, ema, null);
                    values[i] = keep;
                    numeric[i] = (up - down) / (2 * H);
                }
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < values.length; i++) {
                    diff += Math.pow(analytic[i] - numeric[i], 2);
                    norm += numeric[i] * numeric[i];
                    assertThat(Math.abs(analytic[i] - numeric[i]))
                            .as("%s %s[%d]", arch, e.getKey(), i)
                            .isLessThanOrEqualTo(1e-3 * Math.abs(numeric[i]) + 1e-7);
                }
                assertThat(Math.sqrt(diff / norm))
                        .as("%s d%s relative error", arch, e.getKey())
                        .isLessThan(1e-3);
            }
        }
    }

    private static double[] gaussian(SplittableRandom random, int count, double scale) {
        double[] out = new double[count];
        for (int i = 0; i < count; i++) out[i] = scale * (random.nextDouble() * 2 - 1) * 1.7;
        return out;
    }

    /** Runs the step; returns the loss and, when {@code grads} is given, the raw gradients. */
    private static double run(
            OrtEnvironment env,
            OrtSession session,
            Penalty arch,
            Map<String, double[]> params,
            double[] x,
            double[] ema,
            Map<String, double[]> grads)
            throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("x", tensor(env, x, B, N));
            Map<String, long[]> shapes =
                    Map.of(
                            "W_enc",
                            new long[] {D, N},
                            "b_enc",
                            new long[] {D},
                            "W_dec",
                            new long[] {N, D},
                            "b_dec",
                            new long[] {N});
            for (String p : TrainStepGraph.PARAMETERS) {
                in.put(p, tensor(env, params.get(p), shapes.get(p)));
                in.put(
                        TrainStepGraph.m(p),
                        tensor(env, new double[params.get(p).length], shapes.get(p)));
                in.put(
                        TrainStepGraph.v(p),
                        tensor(env, new double[params.get(p).length], shapes.get(p)));
            }
            Map<String, Double> scalars =
                    new HashMap<>(
                            Map.of(
                                    "lr",
                                    1e-3,
                                    "beta1",
                                    0.9,
                                    "beta2",
                                    0.999,
                                    "eps",
                                    1e-8,
                                    "bias_correction1",
                                    0.1,
                                    "bias_correction2",
                                    0.001,
                                    "max_grad_norm",
                                    Double.POSITIVE_INFINITY));
            // The penalty's own inputs as a run feeds them at step 7 of a ramp from 0 to 10 (phi
            // 0.7 where the weights adapt), but with the EMA's beta 1: see the class comment.
            TrainConfig config =
                    TrainConfig.synthetic(arch, N, D).toBuilder()
                            .set(TopK.K, 3)
                            .set(Penalised.LAMBDA1, 0.3)
                            .set(ElasticNet.LAMBDA2, 0.2)
                            .set(AdaptiveWeights.GAMMA, 0.5)
                            .set(AdaptiveWeights.P, 0.3)
                            .set(AdaptiveWeights.T_WARM, 0)
                            .set(AdaptiveWeights.T_RAMP, 10)
                            .build();
            SettingValues settings = config.settings();
            for (Map.Entry<String, Number> c : arch.constants(settings, D).entrySet()) {
                if (c.getValue() instanceof Long l)
                    in.put(c.getKey(), OnnxTensor.createTensor(env, new long[] {l}));
                else scalars.put(c.getKey(), c.getValue().doubleValue());
            }
            scalars.putAll(arch.perStep(settings, 7));
            if (scalars.containsKey("ema_beta")) scalars.put("ema_beta", 1.0);
            if (arch.state().contains(Penalty.EMA)) in.put(Penalty.EMA, tensor(env, ema, D));
            for (Map.Entry<String, Double> s : scalars.entrySet())
                in.put(s.getKey(), OnnxTensor.createTensor(env, s.getValue()));
            try (OrtSession.Result result = session.run(in)) {
                if (grads != null) {
                    for (String p : TrainStepGraph.PARAMETERS) {
                        DoubleBuffer b =
                                ((OnnxTensor) result.get(TrainStepGraph.grad(p)).orElseThrow())
                                        .getDoubleBuffer();
                        double[] g = new double[b.remaining()];
                        b.get(g);
                        grads.put(p, g);
                    }
                }
                return (Double) ((OnnxTensor) result.get("loss").orElseThrow()).getValue();
            }
        } finally {
            for (OnnxTensor t : in.values()) t.close();
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, double[] values, long... shape)
            throws Exception {
        return OnnxTensor.createTensor(env, DoubleBuffer.wrap(values), shape);
    }
}
