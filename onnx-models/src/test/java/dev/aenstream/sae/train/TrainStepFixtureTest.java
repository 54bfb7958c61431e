package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.Safetensors;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.AuxK;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Ghost;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One whole step (adaptive weights, clipping, Adam, renormalisation) against PyTorch, on the dense
 * graph and on the sparse step wherever it serves the architecture; fixtures from
 * fixtures/train_step.py.
 */
class TrainStepFixtureTest {
    private static final double RELATIVE = 1e-4;

    /** Absolute floor for values that are zero up to float32 rounding. */
    private static final double FLOOR = 1e-7;

    static Safetensors.Contents fixture(Penalty arch) throws Exception {
        Path file =
                Paths.get(
                        TrainStepFixtureTest.class
                                .getResource(
                                        "/fixtures/train_step_" + arch.label() + ".safetensors")
                                .toURI());
        return Safetensors.read(file);
    }

    static TrainConfig config(Penalty arch, Map<String, String> meta) {
        TrainConfig.Builder b =
                TrainConfig.synthetic(
                                arch,
                                Integer.parseInt(meta.get("n")),
                                Integer.parseInt(meta.get("d")))
                        .toBuilder()
                        .set(TrainConfig.BATCH, 64)
                        .set(TrainConfig.LR, Double.parseDouble(meta.get("lr")))
                        .set(Penalised.LAMBDA1, Double.parseDouble(meta.get("lambda1")))
                        .set(ElasticNet.LAMBDA2, Double.parseDouble(meta.get("lambda2")))
                        .set(AdaptiveWeights.GAMMA, Double.parseDouble(meta.get("gamma")))
                        .set(AdaptiveWeights.BETA, Double.parseDouble(meta.get("ema_beta")))
                        .set(AdaptiveWeights.P, Double.parseDouble(meta.get("p")))
                        .set(AdaptiveWeights.W_MIN, Double.parseDouble(meta.get("w_min")))
                        .set(AdaptiveWeights.W_MAX, Double.parseDouble(meta.get("w_max")))
                        .set(AdaptiveWeights.T_WARM, Long.parseLong(meta.get("t_warm")))
                        .set(AdaptiveWeights.T_RAMP, Long.parseLong(meta.get("t_ramp")))
                        .set(TopK.K, Integer.parseInt(meta.get("k")))
                        .set(
                                TrainConfig.MAX_GRAD_NORM,
                                meta.get("max_grad_norm").equals("inf")
                                        ? Double.POSITIVE_INFINITY
                                        : Double.parseDouble(meta.get("max_grad_norm")))
                        .set(TrainConfig.ADAM_BETA1, Double.parseDouble(meta.get("beta1")))
                        .set(TrainConfig.ADAM_BETA2, Double.parseDouble(meta.get("beta2")))
                        .set(TrainConfig.ADAM_EPS, Double.parseDouble(meta.get("eps")))
                        .set(TrainConfig.SEED, 0)
                        .set(TrainConfig.DEAD_WINDOW_TOKENS, 1000)
                        .set(Ghost.SCALE, Double.parseDouble(meta.get("ghost_scale")))
                        .set(Ghost.THRESHOLD, Double.parseDouble(meta.get("ghost_threshold")))
                        .set(Ghost.BETA, Double.parseDouble(meta.get("ghost_beta")))
                        .set(Ghost.MIN_STEPS, Long.parseLong(meta.get("ghost_min_steps")));
        // Fixtures written before AuxK do not name its settings.
        if (meta.containsKey("auxk_k"))
            b.set(AuxK.K_AUX, Integer.parseInt(meta.get("auxk_k")))
                    .set(AuxK.COEF, Double.parseDouble(meta.get("auxk_coef")))
                    .set(AuxK.DEAD_TOKENS, Long.parseLong(meta.get("auxk_dead_tokens")));
        return b.build();
    }

    static Stream<Arguments> penalties() {
        return Penalties.ALL.stream()
                .flatMap(
                        p ->
                                p.sparseTerms(TrainConfig.synthetic(p, 8, 16).settings(), 16)
                                                != null
                                        ? Stream.of(Arguments.of(p, false), Arguments.of(p, true))
                                        : Stream.of(Arguments.of(p, false)));
    }

    @ParameterizedTest(name = "{0}, sparse {1}")
    @MethodSource("penalties")
    void oneStepMatchesPyTorch(Penalty arch, boolean sparse) throws Exception {
        Safetensors.Contents f = fixture(arch);
        TrainConfig config = config(arch, f.metadata());
        int n = config.n();
        int d = config.d();
        float[][] m = new float[4][];
        float[][] v = new float[4][];
        for (int i = 0; i < 4; i++) {
            m[i] = f.require("in.m_" + TrainState.PARAMETER_ORDER[i]).toFloats();
            v[i] = f.require("in.v_" + TrainState.PARAMETER_ORDER[i]).toFloats();
        }
        SaeParameters params =
                new SaeParameters(
                        n,
                        d,
                        f.require("in.W_enc").toFloats(),
                        f.require("in.b_enc").toFloats(),
                        f.require("in.W_dec").toFloats(),
                        f.require("in.b_dec").toFloats());
        long t = Long.parseLong(f.metadata().get("step"));
        TrainState before =
                new TrainState(
                        t - 1,
                        params,
                        m,
                        v,
                        f.require("in.ema").toFloats(),
                        f.require("in.firing_ema").toFloats(),
                        f.tensors().containsKey("in.since_fired")
                                ? f.require("in.since_fired").toFloats()
                                : new float[d]);
        float[] x = f.require("in.x").toFloats();

        try (TrainingStep step =
                sparse
                        ? SparseStep.open(config, before, Device.CPU, 2)
                        : TrainStep.open(config, before, Device.CPU, 1)) {
            StepResult result = step.run(x, 0, x.length / n);
            assertThat(result.applied()).isTrue();
            assertThat(step.step()).isEqualTo(t);
            TrainState after = step.state();
            float[][] values = TrainState.values(after.params());
            for (int i = 0; i < 4; i++) {
                String p = TrainState.PARAMETER_ORDER[i];
                close("new_" + p, values[i], f.require("out.new_" + p).toFloats());
                close("new_m_" + p, after.adamM()[i], f.require("out.new_m_" + p).toFloats());
                close("new_v_" + p, after.adamV()[i], f.require("out.new_v_" + p).toFloats());
            }
            if (arch.state().contains(Penalty.EMA)) {
                close("new_ema", after.ema(), f.require("out.new_ema").toFloats());
                close("w", result.w(), f.require("out.w").toFloats());
            }
            if (arch.state().contains(Penalty.FIRING_EMA)) {
                // The fixture's silent features make the proxy act: a ghost loss of 0 would test
                // nothing.
                assertThat(f.require("out.ghost_dead").toFloats()[0]).isGreaterThan(0);
                assertThat(result.auxLoss()).isGreaterThan(0);
                close(
                        "ghost",
                        new float[] {(float) result.auxLoss()},
                        f.require("out.ghost").toFloats());
                close(
                        "new_firing_ema",
                        after.firingEma(),
                        f.require("out.new_firing_ema").toFloats());
            }
            if (arch.state().contains(Penalty.SINCE_FIRED)) {
                // Dead features with positive codes on some rows: an AuxK gradient of 0 would
                // test nothing.
                assertThat(f.require("out.auxk_dead").toFloats()[0]).isGreaterThan(0);
                assertThat(f.require("out.auxk_codes").toFloats()[0]).isGreaterThan(0);
                close(
                        "auxk",
                        new float[] {(float) result.auxLoss()},
                        f.require("out.auxk").toFloats());
                close(
                        "new_since_fired",
                        after.sinceFired(),
                        f.require("out.new_since_fired").toFloats());
            }
            Map<String, Double> scalars =
                    Map.of(
                            "mse",
                            result.mse(),
                            "l1",
                            result.l1(),
                            "l2",
                            result.l2(),
                            "loss",
                            result.loss(),
                            "grad_norm",
                            result.gradNorm(),
                            "fve",
                            result.fve(),
                            "l0",
                            result.l0());
            scalars.forEach(
                    (name, got) ->
                            close(
                                    name,
                                    new float[] {got.floatValue()},
                                    f.require("out." + name).toFloats()));
        }
    }

    private static void close(String name, float[] got, float[] expected) {
        assertThat(got).as(name).hasSameSizeAs(expected);
        for (int i = 0; i < got.length; i++) {
            double tolerance = RELATIVE * Math.abs(expected[i]) + FLOOR;
            assertThat(Math.abs((double) got[i] - expected[i]))
                    .as("%s[%d]: got %s, PyTorch %s", name, i, got[i], expected[i])
                    .isLessThanOrEqualTo(tolerance);
        }
    }
}
