package dev.aenstream.bench;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.node.EncoderNode;
import dev.aenstream.node.TemporaryState;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.onnx.Graph;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.sae.runtime.OrtSessions;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One large SAE version through the whole path: published to the models topic in chunks, followed,
 * spooled, checked and loaded by an encoder as {@code aen encode} runs one, its codes checked
 * against a direct computation and timed against the bare matrix product of the same shape, then
 * encoded by the encoder's Kafka Streams application with statistics and contexts on ({@link
 * ApplicationRun}).
 */
public final class ScaleBench {
    /** Rows whose codes are computed directly and compared with what the encoder serves. */
    static final int CHECKED_ROWS = 4;

    /** Alternating rounds of timing the encoder and the bare product. */
    private static final int TIMING_ROUNDS = 4;

    private static final long PROGRESS_EVERY_NS = 30_000_000_000L;

    /** How far a served code may be from the direct computation (float against double sums). */
    public static final double CODE_TOLERANCE = DirectCodes.TOLERANCE;

    private ScaleBench() {}

    /**
     * Publishes {@code sae} as version 1 of SAE {@code saeId} on {@code topics}' models topic,
     * serves it through an encoder (its follower, then its application), checks and times it.
     *
     * @throws AssertionError if a served code differs from the direct computation
     */
    public static ScaleFigures run(
            KafkaConnection connection,
            Topics topics,
            String saeId,
            SyntheticSae sae,
            ScaleConfig config,
            PrintStream progress)
            throws Exception {
        // The encoders' Kafka Streams state, for this run only.
        try (TemporaryState state = TemporaryState.create("aen-bench-scale-")) {
            return run(connection, topics, saeId, sae, config, progress, state.dir());
        }
    }

    private static ScaleFigures run(
            KafkaConnection connection,
            Topics topics,
            String saeId,
            SyntheticSae sae,
            ScaleConfig config,
            PrintStream progress,
            Path state)
            throws Exception {
        int kMax = Math.min(config.kMax(), sae.d());
        long baseline = Memory.resetPeak();
        OnnxPackage model =
                EncoderGraph.packaged(
                        sae.weights(),
                        new EncoderSpec(kMax, false).withWeights(config.weights()),
                        "sae_encoder");
        progress.printf(
                "scale: publishing %s, n=%d D=%d: %,d bytes (W_enc %,d bytes)%n",
                saeId, sae.n(), sae.d(), model.sizeBytes(), storedMatrixBytes(sae, config));
        try (ModelPublisher publisher =
                new ModelPublisher(connection, topics.models(), null, "aen-bench-scale")) {
            long started = System.nanoTime();
            SaeModel published = publisher.publish(version(saeId, 1, sae, kMax), model);
            double publishS = seconds(started);
            long publishPeak = Memory.peak();
            progress.printf("scale: published in %.1f s%n", publishS);

            Memory.resetPeak();
            started = System.nanoTime();
            try (EncoderNode node =
                    encoder(
                            connection,
                            topics,
                            saeId,
                            state.resolve("whole"),
                            sae,
                            config,
                            DictionaryShard.WHOLE)) {
                awaitVersion(node, 1, started, progress);
                double loadS = seconds(started);
                long loadPeak = Memory.peak();
                progress.printf("scale: served after %.1f s%n", loadS);
                ServingSae serving = node.serving().get(0);

                int rows = config.rowsPerCall();
                float[] x = rows(Math.max(rows, CHECKED_ROWS), sae.n(), config.seed());
                FloatBuffer input = direct(x);
                double error =
                        DirectCodes.maxError(
                                sae,
                                serving.encoder()
                                        .encode(
                                                input.duplicate().limit(CHECKED_ROWS * sae.n()),
                                                CHECKED_ROWS),
                                x,
                                CHECKED_ROWS,
                                kMax,
                                config.weights());
                progress.printf(
                        "scale: %d rows' codes equal the direct computation (max error %.2g)%n",
                        CHECKED_ROWS, error);
                double[] rates =
                        rates(
                                sae.weights(),
                                input,
                                rows,
                                config,
                                () ->
                                        serving.encoder()
                                                .encode(
                                                        input.duplicate().limit(rows * sae.n()),
                                                        rows));
                double encode = rates[0];
                double matmul = rates[1];
                ApplicationRun.Figures app =
                        !config.application()
                                ? null
                                : new ApplicationRun(connection, topics, saeId, progress)
                                        .run(
                                                node,
                                                x,
                                                rows,
                                                sae.n(),
                                                config.seconds() / 2,
                                                codes ->
                                                        DirectCodes.maxError(
                                                                sae,
                                                                codes,
                                                                x,
                                                                rows,
                                                                kMax,
                                                                config.weights()));
                double swapS = 0;
                long swapPeak = 0;
                SyntheticSae newest = sae;
                if (config.swap()) {
                    newest = new SyntheticSae(sae.n(), sae.d(), config.seed() + 1);
                    // A second version while the first serves: the follower holds both until the
                    // old
                    // one retires.
                    started = System.nanoTime();
                    publisher.publish(
                            version(saeId, 2, sae, kMax),
                            EncoderGraph.packaged(
                                    newest.weights(),
                                    new EncoderSpec(kMax, false).withWeights(config.weights()),
                                    "sae_encoder"));
                    // The follower starts loading now; the publisher's part is over.
                    Memory.resetPeak();
                    awaitVersion(node, 2, started, progress);
                    swapS = seconds(started);
                    swapPeak = Memory.peak();
                    progress.printf("scale: version 2 replaced version 1 after %.1f s%n", swapS);
                }
                // The whole version's encoder goes before the shards load, as on another machine.
                node.close();
                List<ShardFigures> shards = new java.util.ArrayList<>();
                double shardedError =
                        config.shards() > 1
                                ? shards(
                                        connection,
                                        topics,
                                        newest,
                                        config.swap() ? 2 : 1,
                                        kMax,
                                        x,
                                        input,
                                        config,
                                        shards,
                                        progress,
                                        state)
                                : 0;
                ScaleFigures result =
                        new ScaleFigures(
                                sae.n(),
                                sae.d(),
                                published.getSizeBytes(),
                                storedMatrixBytes(sae, config),
                                publishS,
                                loadS,
                                baseline,
                                publishPeak,
                                loadPeak,
                                Math.max(publishPeak, loadPeak),
                                CHECKED_ROWS,
                                error,
                                rows,
                                encode,
                                matmul,
                                app,
                                serving.encoder().device().label(),
                                config.weights(),
                                swapS,
                                swapPeak,
                                shards,
                                shardedError);
                return result;
            }
        }
    }

    /**
     * An encoder as {@code aen encode} starts one, serving {@code shard} of each version the models
     * topic brings; its application (when started) in a group of its own.
     */
    private static EncoderNode encoder(
            KafkaConnection connection,
            Topics topics,
            String saeId,
            Path stateDir,
            SyntheticSae sae,
            ScaleConfig config,
            DictionaryShard shard) {
        return EncoderNode.following(
                connection,
                EncodeConfig.defaults(topics, stateDir).withApplicationId("aen-bench-" + saeId),
                new EncoderNode.Following(
                        sae.n(),
                        ModelTrust.anyVersion(),
                        config.device(),
                        config.ortThreads(),
                        shard));
    }

    /** Bytes of W_enc as the version stores it. */
    private static long storedMatrixBytes(SyntheticSae sae, ScaleConfig config) {
        return sae.matrixBytes() / Float.BYTES * config.weights().bytes();
    }

    private static ModelPublisher.Version version(
            String saeId, long version, SyntheticSae sae, int kMax) {
        return new ModelPublisher.Version(
                saeId, version, "synthetic", sae.n(), sae.d(), kMax, Normalisation.NONE, Map.of());
    }

    /** Waits until {@code version} serves, with a line of progress every half minute. */
    private static void awaitVersion(
            EncoderNode node, long version, long started, PrintStream progress)
            throws InterruptedException {
        long nextReport = started + PROGRESS_EVERY_NS;
        while (node.serving().isEmpty() || node.serving().get(0).version() < version) {
            if (!node.refused().isEmpty())
                throw new IllegalStateException(
                        "the follower refused version " + version + ": see the log above");
            Thread.sleep(100);
            if (System.nanoTime() > nextReport) {
                progress.printf("scale: loading, %.0f s so far%n", seconds(started));
                nextReport += PROGRESS_EVERY_NS;
            }
        }
    }

    /**
     * Rows per second of the encoder's product alone on the same shape, weights outside the graph
     * as served.
     */
    private static double[] rates(
            EncoderGraph.Weights sae, FloatBuffer input, int rows, ScaleConfig config, Call encode)
            throws Exception {
        Graph g =
                new Graph("encode_matmul_only", DataType.FLOAT)
                        .externalFrom(OnnxPackage.EXTERNAL_FROM_BYTES);
        String x = g.input("x", rows, sae.n());
        String wEnc = g.weights("W_enc", sae.wEnc(), sae.d(), sae.n());
        g.output(g.op("Gemm", Map.of("transB", 1L), x, wEnc), "pre", rows, sae.d());
        OrtEnvironment env = OrtSessions.environment();
        try (OrtSessions.Opened session =
                        OrtSessions.open(g.packaged(), config.device(), config.ortThreads());
                OnnxTensor in =
                        OnnxTensor.createTensor(
                                env,
                                input.duplicate().limit(rows * sae.n()),
                                new long[] {rows, sae.n()})) {
            Call matmul = () -> session.session().run(Map.of("x", in)).close();
            double round = config.seconds() / 2 / TIMING_ROUNDS;
            double[] best = new double[2];
            // Untimed first calls: ONNX Runtime sizes its working memory on them.
            encode.run();
            matmul.run();
            for (int r = 0; r < TIMING_ROUNDS; r++) {
                best[0] = Math.max(best[0], rate(round, rows, encode));
                best[1] = Math.max(best[1], rate(round, rows, matmul));
            }
            return best;
        }
    }

    /**
     * Serves {@code version} of {@code sae} in {@code config.shards()} shards, one follower after
     * the other (each as one machine of S would): adds each shard's load and throughput figures to
     * {@code figures} and returns the largest difference between the shards' merged codes and the
     * direct computation.
     */
    private static double shards(
            KafkaConnection connection,
            Topics topics,
            SyntheticSae sae,
            long version,
            int kMax,
            float[] x,
            FloatBuffer input,
            ScaleConfig config,
            List<ShardFigures> figures,
            PrintStream progress,
            Path state)
            throws Exception {
        int count = config.shards();
        int rows = config.rowsPerCall();
        List<SparseCodes> checked = new java.util.ArrayList<>();
        int[] first = new int[count];
        for (int i = 0; i < count; i++) {
            DictionaryShard shard = new DictionaryShard(i, count);
            first[i] = shard.first(sae.d());
            long before = Memory.resetPeak();
            long started = System.nanoTime();
            try (EncoderNode node =
                    encoder(
                            connection,
                            topics,
                            sae.n() + "-shard-" + i,
                            state.resolve("shard-" + i),
                            sae,
                            config,
                            shard)) {
                awaitVersion(node, version, started, progress);
                double loadS = seconds(started);
                long loadPeak = Memory.peak();
                SaeEncoder encoder = node.serving().get(0).encoder();
                checked.add(
                        encoder.encode(
                                input.duplicate().limit(CHECKED_ROWS * sae.n()), CHECKED_ROWS));
                double[] rates =
                        rates(
                                sae.weights().shard(shard),
                                input,
                                rows,
                                config,
                                () ->
                                        encoder.encode(
                                                input.duplicate().limit(rows * sae.n()), rows));
                ShardFigures f =
                        new ShardFigures(
                                shard.label(),
                                shard.width(sae.d()),
                                loadS,
                                before,
                                loadPeak,
                                rates[0],
                                rates[1]);
                figures.add(f);
                progress.printf(
                        "scale: shard %s (%,d features) served after %.1f s, resident memory %.2f"
                                + " GiB more than before; encode %,.0f rows/s against %,.0f, ratio"
                                + " %.3f%n",
                        f.shard(),
                        f.features(),
                        f.loadS(),
                        (f.loadPeakRssBytes() - f.rssBeforeBytes()) / (double) (1L << 30),
                        f.encodeRowsPerS(),
                        f.matmulRowsPerS(),
                        f.encodeRatio());
            }
        }
        double error =
                DirectCodes.maxError(
                        sae,
                        SparseCodes.merge(checked, first, sae.d(), kMax),
                        x,
                        CHECKED_ROWS,
                        kMax,
                        config.weights());
        progress.printf(
                "scale: the %d shards' merged codes equal the direct computation (max error"
                        + " %.2g)%n",
                count, error);
        return error;
    }

    private interface Call {
        void run() throws Exception;
    }

    /** Rows per second of {@code call} repeated for at least {@code seconds}. */
    private static double rate(double seconds, int rows, Call call) throws Exception {
        long calls = 0;
        long started = System.nanoTime();
        long deadline = started + (long) (seconds * 1e9);
        do {
            call.run();
            calls++;
        } while (System.nanoTime() < deadline);
        return calls * rows / seconds(started);
    }

    private static float[] rows(int rows, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    private static FloatBuffer direct(float[] x) {
        FloatBuffer b =
                ByteBuffer.allocateDirect(x.length * Float.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        b.put(x).flip();
        return b;
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }
}
