package dev.aenstream.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.node.EncoderNode;
import dev.aenstream.node.TemporaryState;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.produce.synthetic.SpikedGenerator;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.OrtSessions;
import dev.aenstream.sae.runtime.SaeEncoder;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;

/**
 * The four throughputs of {@code aen bench} for one SAE shape, each over a fixed time on one Kafka:
 * raw Kafka with activation records, ONNX Runtime encoding alone, the whole pipeline, and training.
 * Rates are taken over the second part of each phase, after the pipeline has filled.
 */
public final class PipelineBench {
    /**
     * Quiet time between phases, so that one phase's tail does not run into the next one's timing.
     */
    private static final Duration PHASE_PAUSE = Duration.ofSeconds(2);

    /** Records the end-to-end producer may be ahead of the codes read back. */
    private static final int BACKLOG_RECORDS = 64;

    private static final int DISTINCT_RECORDS = 16;

    public record Shape(int n, int d) {
        public static Shape parse(String text) {
            String[] parts = text.split(":");
            if (parts.length != 2)
                throw new IllegalArgumentException("--shape takes N:D, e.g. 512:4096; got " + text);
            return new Shape(
                    Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
        }

        @Override
        public String toString() {
            return "n=" + n + " D=" + d;
        }
    }

    private final KafkaConnection connection;
    private final String runId;
    private final int rowsPerRecord;
    private final int kMax;
    private final Device device;
    private final int trainBatch;
    private final int streamThreads;
    private final int ortThreads;

    public PipelineBench(
            KafkaConnection connection,
            String runId,
            int rowsPerRecord,
            int kMax,
            Device device,
            int trainBatch,
            int streamThreads,
            int ortThreads) {
        this.connection = connection;
        this.runId = runId;
        this.rowsPerRecord = rowsPerRecord;
        this.kMax = kMax;
        this.device = device;
        this.trainBatch = trainBatch;
        this.streamThreads = streamThreads;
        this.ortThreads = ortThreads;
    }

    /**
     * Runs the pipeline once unmeasured, so that the JIT has compiled Kafka's, Kafka Streams' and
     * our hot paths before the first measurement, as it has in an encoder that runs for hours.
     */
    public void warmUp(Shape shape, double seconds) throws Exception {
        System.out.printf(
                "warming up the JIT: %.0f s end to end on %s, not measured%n", seconds, shape);
        endToEnd(shape, seconds, "warmup", new java.util.HashMap<>());
        dropTopics();
    }

    /**
     * Deletes the topics of the phases run so far (Kafka Streams' internal ones too): otherwise the
     * broker is still writing a gigabyte of the last phase back to disk while the next one is
     * timed.
     */
    private void dropTopics() throws Exception {
        try (Admin admin = Admin.create(connection.client())) {
            List<String> ours =
                    admin.listTopics().names().get().stream()
                            .filter(
                                    name ->
                                            name.startsWith("bench-" + runId + "-")
                                                    || name.startsWith("aen-bench-" + runId + "-"))
                            .toList();
            if (!ours.isEmpty()) admin.deleteTopics(ours).all().get();
        }
        Thread.sleep(PHASE_PAUSE.toMillis());
    }

    public PipelineFigures run(Shape shape, double seconds) throws Exception {
        double kafka = kafka(shape, 0.2 * seconds);
        dropTopics();
        System.out.printf("  (a) Kafka produce+consume  %,10.0f rows/s%n", kafka);
        double[] encode = encode(shape, 0.15 * seconds);
        System.out.printf(
                "  (b) ONNX Runtime encode    %,10.0f rows/s   %.2f of its matrix product alone"
                        + " (%,.0f rows/s)%n",
                encode[0], encode[0] / encode[1], encode[1]);
        Map<String, Object> profile = new java.util.LinkedHashMap<>();
        double e2e = endToEnd(shape, 0.45 * seconds, "e2e", profile);
        dropTopics();
        double harmonic = 1 / (1 / kafka + 1 / encode[0]);
        System.out.printf(
                "  (c) end to end             %,10.0f rows/s   %.2f of the harmonic limit 1/(1/a +"
                        + " 1/b) = %,.0f rows/s%n",
                e2e, e2e / harmonic, harmonic);
        System.out.println("      " + StageTimes.describe(profile));
        double[] train = train(shape, 0.2 * seconds);
        System.out.printf(
                "  (d) training               %,10.0f tokens/s %.2f of its five matrix products"
                        + " alone (%,.0f tokens/s)%n",
                train[0], train[0] / train[1], train[1]);
        return new PipelineFigures(
                shape, kafka, encode[0], encode[1], e2e, train[0], train[1], trainBatch, profile);
    }

    private Topics topics(String phase, Shape shape) throws Exception {
        Topics topics =
                new Topics(
                        "bench-" + runId + "-" + phase + "-" + shape.n() + "x" + shape.d() + ".");
        try (Admin admin = Admin.create(connection.client())) {
            TopicProvisioner.ensure(
                    admin, topics, new TopicSettings(TopicSettings.DEFAULT_PARTITIONS, (short) 1));
        }
        return topics;
    }

    /** The spiked rows each benchmark encodes: 16 of max(64, D/4) true atoms active per row. */
    public static SpikedConfig data(Shape shape) {
        return SpikedConfig.builder()
                .set(SpikedConfig.N, shape.n())
                .set(SpikedConfig.ATOMS, Math.max(64, shape.d() / 4))
                .set(SpikedConfig.K, 16)
                .set(SpikedConfig.SEED, 1)
                .build();
    }

    /**
     * Record-sized blocks of spiked rows, made before timing starts and cycled: generating rows is
     * the language model's work, not the pipeline's, and would otherwise take CPU from it.
     */
    private List<float[]> rowBlocks(Shape shape) {
        SpikedGenerator data = new SpikedGenerator(data(shape));
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < DISTINCT_RECORDS; i++) {
            float[] x = new float[rowsPerRecord * shape.n()];
            data.next(x, 0, rowsPerRecord);
            out.add(x);
        }
        return out;
    }

    /** Activation records as the publisher writes them, from {@link #rowBlocks}. */
    private List<byte[]> records(Shape shape) {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        List<byte[]> out = new ArrayList<>();
        List<float[]> blocks = rowBlocks(shape);
        for (int i = 0; i < blocks.size(); i++) {
            float[] x = blocks.get(i);
            out.add(
                    serde.toBytes(
                            ActivationBatch.newBuilder()
                                    .setSourceModel("bench")
                                    .setHookPoint("bench")
                                    .setRows(rowsPerRecord)
                                    .setN(shape.n())
                                    .setDtype(Dtype.FLOAT32)
                                    .setNormalisation(Normalisation.NONE)
                                    .setProducerId("bench")
                                    .setSequence(i)
                                    .setPayload(
                                            Matrices.encode(
                                                    x, 0, rowsPerRecord, shape.n(), Dtype.FLOAT32))
                                    .setTimestampMs(0)
                                    .build()));
        }
        return out;
    }

    /**
     * (a) A raw Kafka producer with the publisher's settings and a read_committed consumer, running
     * together.
     */
    double kafka(Shape shape, double seconds) throws Exception {
        Topics topics = topics("kafka", shape);
        return KafkaLimit.rowsPerSecond(
                connection,
                topics.activations(),
                records(shape),
                rowsPerRecord,
                "bench-kafka-" + runId,
                seconds);
    }

    /**
     * (b) ONNX Runtime encoding record-sized batches, with our sparse outputs; and the bare matrix
     * product on the same shapes.
     */
    double[] encode(Shape shape, double seconds) throws Exception {
        float[] rows = rowBlocks(shape).get(0);
        SaeParameters params = sparse(shape, rows);
        FloatBuffer x =
                ByteBuffer.allocateDirect(rowsPerRecord * shape.n() * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        x.put(rows).flip();
        // The limit is the best layout ONNX Runtime has here: one call at a time on every core, one
        // single-threaded call per core, or the pipeline's own layout.
        int cores = Runtime.getRuntime().availableProcessors();
        int[][] layouts = {{1, 0}, {cores, 1}, {streamThreads, ortThreads}};
        double encode = 0;
        for (int[] layout : layouts) {
            try (SaeEncoder encoder =
                    SaeEncoder.open(params, new EncoderSpec(kMax, false), device, layout[1])) {
                encode =
                        Math.max(
                                encode,
                                timed(
                                        seconds / 4,
                                        layout[0],
                                        () -> encoder.encode(x.duplicate(), rowsPerRecord)));
            }
        }
        OrtEnvironment env = OrtSessions.environment();
        try (OrtSessions.Opened matmul =
                        OrtSessions.open(
                                MatmulOnlyGraph.encoder(rowsPerRecord, shape.n(), shape.d())
                                        .toByteArray(),
                                device,
                                0);
                OnnxTensor input =
                        OnnxTensor.createTensor(
                                env, x.duplicate(), new long[] {rowsPerRecord, shape.n()});
                OnnxTensor weights =
                        OnnxTensor.createTensor(
                                env,
                                FloatBuffer.wrap(params.wEnc()),
                                new long[] {shape.d(), shape.n()})) {
            double bare =
                    timed(
                            seconds / 4,
                            1,
                            () ->
                                    matmul.session()
                                            .run(Map.of("x", input, "W_enc", weights))
                                            .close());
            return new double[] {encode, bare};
        }
    }

    private interface Call {
        public void run() throws Exception;
    }

    /**
     * Random encoder weights with one bias for all features, set so that about {@link #L0} features
     * fire per row, as in a trained SAE: the codes then have a trained SAE's size.
     */
    static SaeParameters sparse(Shape shape, float[] rows) {
        SaeParameters p = SaeParameters.initialise(shape.n(), shape.d(), 1);
        int sample = Math.min(64, rows.length / shape.n());
        float[] pre = new float[sample * shape.d()];
        for (int r = 0; r < sample; r++) {
            for (int j = 0; j < shape.d(); j++) {
                double s = 0;
                for (int i = 0; i < shape.n(); i++)
                    s += p.wEnc()[j * shape.n() + i] * rows[r * shape.n() + i];
                pre[r * shape.d() + j] = (float) s;
            }
        }
        float[] sorted = pre.clone();
        java.util.Arrays.sort(sorted);
        float threshold = sorted[sorted.length - 1 - L0 * sample];
        float[] bEnc = new float[shape.d()];
        java.util.Arrays.fill(bEnc, -threshold);
        return new SaeParameters(shape.n(), shape.d(), p.wEnc(), bEnc, p.wDec(), p.bDec());
    }

    public static final int L0 = 32;

    /**
     * Rows per second of record-sized calls repeated by {@code callers} threads at once, after a
     * few untimed ones.
     */
    private double timed(double seconds, int callers, Call call) throws Exception {
        for (int i = 0; i < 3; i++) call.run();
        AtomicLong calls = new AtomicLong();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(
                        callers, Daemon.threads("bench-encode"));
        try {
            for (int c = 0; c < callers; c++) {
                running.add(
                        pool.submit(
                                () -> {
                                    while (System.nanoTime() < end) {
                                        call.run();
                                        calls.incrementAndGet();
                                    }
                                    return null;
                                }));
            }
            for (java.util.concurrent.Future<?> f : running) f.get();
        } finally {
            pool.shutdownNow();
        }
        return calls.get() * rowsPerRecord / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * (c) The publisher, the Kafka Streams encoder as `aen encode` runs it (exactly-once,
     * statistics on), codes read back committed.
     */
    double endToEnd(Shape shape, double seconds) throws Exception {
        return endToEnd(shape, seconds, "e2e", new java.util.HashMap<>());
    }

    /** As {@link #endToEnd(Shape, double)}; {@code profile} gets the processor's stage times. */
    private double endToEnd(Shape shape, double seconds, String phase, Map<String, Object> profile)
            throws Exception {
        Topics topics = topics(phase, shape);
        SaeParameters params = sparse(shape, rowBlocks(shape).get(0));
        String producerId = "bench-" + runId;
        try (SaeEncoder encoder =
                        SaeEncoder.open(params, new EncoderSpec(kMax, false), device, ortThreads);
                TemporaryState state = TemporaryState.create("aen-bench-")) {
            ServingSae serving =
                    new ServingSae(
                            "bench",
                            1,
                            encoder,
                            "initialised for the benchmark",
                            SaeDecoder.of(params),
                            false);
            EncodeConfig config =
                    EncodeConfig.defaults(topics, state.dir())
                            .withApplicationId(
                                    "aen-bench-" + runId + "-" + phase + "-" + shape.n());
            config = config.with(EncodeConfig.STREAM_THREADS, streamThreads);
            try (EncoderNode node = EncoderNode.serving(connection, config, serving);
                    CodesTally tally = new CodesTally(connection, topics, producerId);
                    ActivationPublisher publisher =
                            new ActivationPublisher(
                                    connection,
                                    PublisherConfig.of(
                                                    topics.activations(),
                                                    "bench",
                                                    "bench",
                                                    producerId)
                                            .with(
                                                    PublisherConfig.ROWS_PER_RECORD,
                                                    rowsPerRecord))) {
                node.startEncoding();
                List<float[]> blocks = rowBlocks(shape);
                double rate;
                try (ClosedLoopFeed feed =
                        new ClosedLoopFeed(
                                "bench-e2e-feed",
                                publisher::rowsPublished,
                                tally::tokens,
                                (long) BACKLOG_RECORDS * rowsPerRecord,
                                i ->
                                        publisher.publish(
                                                blocks.get((int) (i % blocks.size())),
                                                rowsPerRecord,
                                                shape.n()))) {
                    StageTimes[] window = new StageTimes[1];
                    rate =
                            SettledRate.of(
                                    tally::tokens, seconds, () -> window[0] = StageTimes.now());
                    profile.putAll(StageTimes.now().since(window[0], streamThreads));
                }
                return rate;
            }
        }
    }

    /**
     * (d) Training steps of AEN-SAE on docs/aen-sae.md's language-model settings; and the step's
     * five matrix products alone.
     */
    double[] train(Shape shape, double seconds) throws Exception {
        TrainConfig config =
                TrainConfig.languageModel(Penalties.AEN, shape.n(), shape.d())
                        .with(TrainConfig.BATCH, trainBatch);
        double train;
        try (Trainer trainer = Trainer.start("bench", config, device, 0)) {
            train =
                    TrainingRate.measure(
                            trainer, shape.n(), shape.d(), trainBatch, 1, 1, seconds * 2 / 3);
        }
        double matmul =
                MatmulOnlyGraph.trainStepRate(
                        trainBatch, shape.n(), shape.d(), device, 0, seconds / 3, 1, 1);
        return new double[] {train, matmul};
    }
}
