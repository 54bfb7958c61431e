package dev.aenstream.experiment;

import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.eval.DictionaryGeometry;
import dev.aenstream.sae.eval.DictionaryMatch;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.TopK;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.StepResult;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One SAE trained on the spiked generator and evaluated on fresh rows: the loop behind {@code aen
 * train --source synthetic} and every run of {@code aen experiment starvation}.
 */
public final class SyntheticRun {
    /** Rows whose active sets the geometry is measured on (a per-row SVD each). */
    public static final int GEOMETRY_ROWS = 256;

    /** Called after every applied step, for progress lines and checkpoints. */
    @FunctionalInterface
    public interface StepListener {
        void stepped(Trainer trainer, StepResult result, long batchIndex) throws Exception;
    }

    /** Checkpoint entry holding the next batch index, so a resume neither repeats nor skips one. */
    static final String BATCH_INDEX = "batch_index";

    private SyntheticRun() {}

    /** The extra checkpoint entries of a run whose next batch is {@code batchIndex}. */
    public static Map<String, String> position(long batchIndex) {
        return Map.of(BATCH_INDEX, Long.toString(batchIndex));
    }

    /**
     * The first batch to train on: the one a checkpoint recorded as next (its step count for
     * checkpoints written without it), else the trainer's step count.
     */
    public static long firstBatch(Checkpoints.Checkpoint checkpoint, Trainer trainer) {
        String fallback = Long.toString(trainer.stepsDone());
        return Long.parseLong(
                checkpoint == null
                        ? fallback
                        : checkpoint.extra().getOrDefault(BATCH_INDEX, fallback));
    }

    /** Starts the fresh {@code trainer}'s b_dec at the mean of batch {@code batchIndex}. */
    public static void centre(Trainer trainer, SpikedGenerator generator, long batchIndex) {
        TrainConfig run = trainer.config();
        float[] x = new float[run.get(TrainConfig.BATCH) * run.n()];
        generator.batch(batchIndex, x, run.get(TrainConfig.BATCH), null, null);
        trainer.centreDecoderBias(x, 0, run.get(TrainConfig.BATCH));
    }

    /**
     * Trains until {@code steps} steps are applied, taking batch {@code batchIndex} onwards
     * (batches are indexed by attempts, so a skipped step does not replay the same rows); returns
     * the next batch index.
     */
    public static long train(
            Trainer trainer,
            SpikedGenerator generator,
            long steps,
            long batchIndex,
            StepListener listener)
            throws Exception {
        TrainConfig run = trainer.config();
        float[] x = new float[run.get(TrainConfig.BATCH) * run.n()];
        long next = batchIndex;
        while (trainer.stepsDone() < steps) {
            generator.batch(next++, x, run.get(TrainConfig.BATCH), null, null);
            StepResult r = trainer.step(x, 0, run.get(TrainConfig.BATCH));
            if (!r.applied())
                System.out.printf("step %d skipped: non-finite loss or gradient%n", r.step());
            else if (listener != null) listener.stepped(trainer, r, next);
        }
        return next;
    }

    /**
     * The figures of the trained SAE on {@code evalRows} fresh rows: l0, fve, shrinkage, dictionary
     * match and support, coherence and active-set geometry, with the trainer's own dead%, recovery,
     * phi and the lambda1 or k it trained with. Keys are the names of docs/aen-sae.md.
     */
    public static Map<String, Object> evaluate(
            Trainer trainer, SpikedGenerator generator, int evalRows, int ortThreads)
            throws Exception {
        TrainConfig run = trainer.config();
        SaeParameters params = trainer.trainStep().parameters();
        int n = run.n();
        int d = run.d();
        int k = generator.config().get(SpikedConfig.K);
        float[] x = new float[evalRows * n];
        int[] support = new int[evalRows * k];
        float[] magnitudes = new float[evalRows * k];
        // An index far past any training batch: evaluation rows are never trained on.
        generator.batch(Long.MAX_VALUE / 2, x, evalRows, support, magnitudes);
        int kMax = run.penalty().kMax(run.settings(), d);
        float[] codes = new float[evalRows * d];
        float[] xhat = new float[evalRows * n];
        FeatureAccumulator reconstruction =
                new FeatureAccumulator(trainer.saeId(), trainer.stepsDone(), d, 0);
        SaeDecoder decoder = SaeDecoder.of(params);
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        params,
                        run.penalty().encoderSpec(kMax, false, WeightPrecision.FLOAT32),
                        Device.CPU,
                        ortThreads)) {
            var sparse = encoder.encode(FloatBuffer.wrap(x), evalRows);
            float[] row = new float[n];
            for (int r = 0; r < evalRows; r++) {
                System.arraycopy(sparse.denseRow(r), 0, codes, r * d, d);
                decoder.decode(sparse, r, row);
                System.arraycopy(row, 0, xhat, r * n, n);
            }
            reconstruction.addReconstruction(FloatBuffer.wrap(x), sparse, decoder, false, 1);
        }
        double l0 = 0;
        for (float c : codes) if (c > DictionaryGeometry.ACTIVE_THRESHOLD) l0++;
        DictionaryMatch match =
                DictionaryMatch.of(
                        params, generator.dictionary(), generator.config().get(SpikedConfig.ATOMS));
        DictionaryMatch.Support s = match.support(codes, evalRows, d, support, k);
        DictionaryGeometry geometry = DictionaryGeometry.of(params);
        DictionaryGeometry.Coherence coherence = geometry.coherence();
        DictionaryGeometry.ActiveSets active =
                geometry.activeSets(codes, Math.min(evalRows, GEOMETRY_ROWS));
        int[] dead = trainer.window().deadFeatures();
        TrainingMetrics m = trainer.metrics();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("sae_id", trainer.saeId());
        summary.put("arch", run.penalty().label());
        summary.put("steps", trainer.stepsDone());
        summary.put("l0", l0 / evalRows);
        summary.put("fve", reconstruction.fve());
        summary.put("dead_pct", m.deadPct());
        summary.put("shrinkage", DictionaryGeometry.shrinkage(x, xhat, evalRows, n));
        summary.put("recovery", finiteOrNull(trainer.window().recoveryRate()));
        summary.put("phi", run.phi(trainer.stepsDone()));
        if (run.has(TopK.K)) summary.put("k", run.get(TopK.K));
        if (run.has(Penalised.LAMBDA1)) {
            summary.put("lambda1", run.get(Penalised.LAMBDA1));
            long windowSteps =
                    Math.max(
                            1,
                            run.get(TrainConfig.DEAD_WINDOW_TOKENS) / run.get(TrainConfig.BATCH));
            double[] range = trainer.lambda1Range(trainer.stepsDone() - windowSteps);
            summary.put("lambda1_window_min", range[0]);
            summary.put("lambda1_window_max", range[1]);
        }
        summary.put("lambda2", run.has(ElasticNet.LAMBDA2) ? run.get(ElasticNet.LAMBDA2) : 0.0);
        summary.put("dict_cos", match.dictCos());
        summary.put("support_precision", s.precision());
        summary.put("support_recall", s.recall());
        summary.put("support_f1", s.f1());
        summary.put("coherence_mean", coherence.mean());
        summary.put("coherence_max", coherence.max());
        summary.put("active_condition", finiteOrNull(active.condition()));
        summary.put("active_singular_rows", active.singularRows());
        summary.put("leakage", finiteOrNull(active.leakage()));
        summary.put("dead_cross_leverage", finiteOrNull(active.meanCrossLeverage(dead)));
        summary.put("tokens_per_s", m.tokensPerS());
        if (m.weightSaturation() != null) summary.put("weight_saturation", m.weightSaturation());
        summary.put("train_l0", m.l0());
        summary.put("train_fve", m.fve());
        summary.put("tokens", m.tokens());
        summary.put("dead_window_tokens", run.get(TrainConfig.DEAD_WINDOW_TOKENS));
        summary.put("eval_rows", evalRows);
        summary.put("device", trainer.trainStep().device().label());
        return summary;
    }

    /** JSON has no NaN: an undefined figure is written as null. */
    static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
