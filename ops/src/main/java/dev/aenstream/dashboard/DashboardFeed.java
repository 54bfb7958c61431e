package dev.aenstream.dashboard;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeState;
import dev.aenstream.avro.Topics;
import dev.aenstream.avro.TrainerMetrics;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.monitor.SaeStates;
import dev.aenstream.sae.eval.PoissonSne;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the trainer-metrics, feature-stats, sae-state, alerts, models and feature-contexts topics
 * from their start and keeps, bounded, what the dashboard draws. It reads without a consumer group,
 * so any number of dashboards can watch one cluster without disturbing each other or the encoders.
 */
public final class DashboardFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardFeed.class);

    /** Points per plotted series; older halves are thinned, never dropped. */
    static final int SERIES_CAPACITY = 2_000;

    static final int ALERTS_KEPT = 200;

    private static final Duration POLL = Duration.ofMillis(250);

    /** How long finding a topic's partitions may take before the broker counts as unreachable. */
    private static final Duration PARTITIONS_TIMEOUT = Duration.ofSeconds(5);

    /** How often new partitions are looked for. */
    private static final Duration REFRESH = Duration.ofSeconds(10);

    /** Back-off between attempts while Kafka cannot be reached: doubling, within these bounds. */
    private static final long MIN_BACKOFF_MS = 500;

    private static final long MAX_BACKOFF_MS = 15_000;

    private final Topics topics;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AvroSerde<TrainerMetrics> metricsSerde = new AvroSerde<>(TrainerMetrics.class);
    private final AvroSerde<FeatureStats> statsSerde = new AvroSerde<>(FeatureStats.class);
    private final AvroSerde<SaeState> stateSerde = new AvroSerde<>(SaeState.class);
    private final AvroSerde<Alert> alertSerde = new AvroSerde<>(Alert.class);
    private final AvroSerde<SaeModel> modelSerde = new AvroSerde<>(SaeModel.class);

    private final Map<String, Sae> saes = new ConcurrentHashMap<>();
    private final Deque<Map<String, Object>> alerts = new ArrayDeque<>();
    private final Map<String, Long> alertsBySae = new ConcurrentHashMap<>();
    private final WindowCounts windows = new WindowCounts();

    private final FeatureViews features = new FeatureViews();
    private final SplicedScores spliced = new SplicedScores();
    private final ModelWatch watch = new ModelWatch(features::topContext);
    private final DictionaryMap maps =
            new DictionaryMap(features::counts, PoissonSne.Config.defaults());
    private final AvroSerde<FeatureContexts> contextsSerde = new AvroSerde<>(FeatureContexts.class);
    private volatile long recordsRead;

    /** Records it could not read (malformed, or sizes that do not fit their bytes). */
    private volatile long recordsSkipped;

    /** What the dashboard knows about one SAE. */
    private static final class Sae {
        volatile String arch = "";

        /** Over training tokens. */
        final Series training =
                new Series(SERIES_CAPACITY, "dead_pct", "l0", "fve", "consumer_lag", "shrinkage");

        /** The paper's measurements at the latest trainer-metrics record. */
        volatile Map<String, Object> geometry = Map.of();

        /** Over wall-clock seconds: the trainer's tokens/s. */
        final Series trainingRate = new Series(SERIES_CAPACITY, "tokens_per_s");

        /** Over wall-clock seconds (statistics window ends): what the encoders did. */
        final Series encoding =
                new Series(SERIES_CAPACITY, "tokens", "l0", "fve", "rows_per_s", "shrinkage");

        volatile long encodedTokens;
        volatile long trainedTokens;
        volatile long step;
        volatile Map<String, Object> state = Map.of();

        /** The latest view of each shard, while the dictionary is served in shards. */
        final Map<Integer, SaeState> shardStates = new TreeMap<>();

        final Map<Long, Map<String, Object>> versions = new TreeMap<>();
    }

    public DashboardFeed(KafkaConnection connection, Topics topics) {
        this.topics = topics;
        Properties props = connection.client();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "aen-dashboard");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES);
        this.consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "aen-dashboard-feed");
        this.thread.setDaemon(true);
    }

    public DashboardFeed start() {
        thread.start();
        return this;
    }

    private void run() {
        List<String> names =
                List.of(
                        topics.trainerMetrics(),
                        topics.featureStats(),
                        topics.saeState(),
                        topics.alerts(),
                        topics.models(),
                        topics.featureContexts(),
                        topics.spliceFigures(),
                        topics.watchRules());
        List<TopicPartition> assigned = new ArrayList<>();
        long backoffMs = 0;
        while (!closed.get()) {
            try {
                // Topics may appear after the dashboard starts (a fresh cluster); pick up new
                // partitions as they come.
                // Partitions only join: one missing from a metadata answer while a broker comes
                // back keeps its place, so nothing is read twice.
                List<TopicPartition> added = new ArrayList<>();
                for (String topic : names) {
                    for (var p : consumer.partitionsFor(topic, PARTITIONS_TIMEOUT)) {
                        TopicPartition tp = new TopicPartition(topic, p.partition());
                        if (!assigned.contains(tp)) added.add(tp);
                    }
                }
                if (!added.isEmpty()) {
                    assigned.addAll(added);
                    consumer.assign(assigned);
                    consumer.seekToBeginning(added);
                }
                if (backoffMs > 0) LOG.info("dashboard feed reconnected to Kafka");
                backoffMs = 0;
                long until = System.nanoTime() + REFRESH.toNanos();
                while (!closed.get() && System.nanoTime() < until) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) accept(r);
                }
            } catch (WakeupException e) {
                if (!closed.get()) throw e;
            } catch (RuntimeException e) {
                // A broker outage: keep what was read, wait, and catch up once it is back.
                if (backoffMs == 0)
                    LOG.warn(
                            "dashboard feed cannot reach Kafka ({}); retrying with back-off",
                            e.toString());
                backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoffMs * 2));
                sleep(backoffMs);
            }
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed.set(true);
        }
    }

    /** Reads one record of any topic it follows; what it cannot read it skips. */
    void accept(ConsumerRecord<byte[], byte[]> r) {
        boolean rules = r.topic().equals(topics.watchRules());
        if (r.value() == null && !rules) return;
        recordsRead++;
        try {
            String topic = r.topic();
            if (rules) watch.rule(r.key(), r.value()); // a tombstone removes a rule
            else if (topic.equals(topics.trainerMetrics()))
                training(metricsSerde.fromBytes(r.value()));
            else if (topic.equals(topics.featureStats())) encoding(statsSerde.fromBytes(r.value()));
            else if (topic.equals(topics.saeState())) state(stateSerde.fromBytes(r.value()));
            else if (topic.equals(topics.alerts())) alert(alertSerde.fromBytes(r.value()));
            else if (topic.equals(topics.featureContexts()))
                features.contexts(contextsSerde.fromBytes(r.value()));
            else if (topic.equals(topics.spliceFigures())) spliced.accept(r.value());
            else if (topic.equals(topics.models())
                    && ModelRecords.MODEL.equals(ModelRecords.type(r.headers())))
                model(modelSerde.fromBytes(r.value()));
        } catch (RuntimeException e) {
            // Said at the 1st, 2nd, 4th, 8th... skip: heard, without flooding the log.
            if (Long.bitCount(++recordsSkipped) == 1)
                LOG.warn(
                        "dashboard skips a record of {} at {}@{} it cannot read ({} so far): {}",
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        recordsSkipped,
                        e.toString());
        }
    }

    private Sae sae(String id) {
        return saes.computeIfAbsent(id, k -> new Sae());
    }

    private void training(TrainerMetrics m) {
        Sae s = sae(m.getSaeId());
        s.arch = m.getArch();
        s.step = m.getStep();
        s.trainedTokens = m.getTokens();
        s.training.add(
                m.getTokens(),
                m.getDeadPct(),
                m.getL0(),
                m.getFve(),
                m.getConsumerLag(),
                orNaN(m.getShrinkage()));
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("phi", m.getWarmupFactor());
        g.put("lambda1", m.getLambda1());
        g.put("weight_saturation", m.getWeightSaturation());
        g.put("shrinkage", m.getShrinkage());
        g.put("recovery_rate", m.getRecoveryRate());
        g.put("coherence_mean", m.getCoherenceMean());
        g.put("coherence_max", m.getCoherenceMax());
        g.put("active_condition", m.getActiveCondition());
        g.put("leakage", m.getLeakage());
        g.put("dead_cross_leverage", m.getDeadCrossLeverage());
        s.geometry = g;
        s.trainingRate.add(m.getTimestampMs() / 1000.0, m.getTokensPerS());
    }

    private static double orNaN(Double v) {
        return v == null ? Double.NaN : v;
    }

    private void encoding(FeatureStats part) {
        WindowCounts.Update update = windows.add(part).orElse(null);
        if (update == null) return;
        FeatureStats f = update.window();
        long added = update.added();
        features.window(f);
        Sae s = sae(f.getSaeId());
        s.encodedTokens += added;
        double end = f.getWindowEndMs() / 1000.0;
        // The running total at this window grows by what it added, and so does every later one.
        double total = s.encoding.valueAt(end, 0).orElse(s.encodedTokens - added) + added;
        s.encoding.shift(end, 0, added);
        double seconds = Math.max(1, f.getWindowEndMs() - f.getWindowStartMs()) / 1000.0;
        s.encoding.put(
                end,
                total,
                f.getL0Sum() / f.getTokens(),
                f.getFve() == null ? Double.NaN : f.getFve(),
                f.getTokens() / seconds,
                orNaN(f.getShrinkage()));
    }

    private void state(SaeState view) {
        String misfit = SaeStates.misfit(view);
        if (misfit != null)
            throw new IllegalArgumentException(
                    "the state of SAE " + view.getSaeId() + " does not hold together: " + misfit);
        Sae sae = sae(view.getSaeId());
        SaeState st = view;
        if (view.getShards() > 1) {
            if (sae.shardStates.values().stream().anyMatch(o -> o.getShards() != view.getShards()))
                sae.shardStates.clear();
            sae.shardStates.put(view.getShard(), view);
            st = SaeStates.whole(List.copyOf(sae.shardStates.values())).orElse(null);
            if (st == null) return;
        }
        features.state(st);
        spliced.deadPct(st.getSaeId(), st.getVersion(), st.getDeadPct());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", st.getVersion());
        m.put("d", st.getD());
        m.put("tokens", st.getTokens());
        m.put("dead_pct", st.getDeadPct());
        m.put("rare_pct", st.getRarePct());
        m.put("l0", st.getL0());
        m.put("density_histogram", st.getDensityHistogram());
        m.put("updated_at_ms", st.getUpdatedAtMs());
        sae(st.getSaeId()).state = m;
    }

    private void alert(Alert a) {
        Map<String, Object> m = AlertRow.of(a);
        synchronized (alerts) {
            alerts.addFirst(m);
            while (alerts.size() > ALERTS_KEPT) alerts.removeLast();
        }
        alertsBySae.merge(a.getSaeId(), 1L, Long::sum);
        features.alert(a);
        watch.alert(a);
    }

    private void model(SaeModel m) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("version", m.getVersion());
        v.put("arch", m.getArch());
        v.put("n", m.getN());
        v.put("d", m.getD());
        v.put("k_max", m.getKMax());
        v.put("size_bytes", m.getSizeBytes());
        v.put("created_at_ms", m.getCreatedAtMs());
        Sae s = sae(m.getSaeId());
        synchronized (s.versions) {
            s.versions.put(m.getVersion(), v);
        }
        if (m.getLineage() != null && m.getLineageFrom() != null) {
            int[] previous = LittleEndian.ints(m.getLineage());
            float[] cos =
                    m.getLineageCos() == null
                            ? new float[previous.length]
                            : LittleEndian.floats(m.getLineageCos());
            features.lineage(m.getSaeId(), m.getVersion(), m.getLineageFrom(), previous, cos);
            v.put("continued", java.util.Arrays.stream(previous).filter(p -> p >= 0).count());
        }
    }

    /** The monitor's dead% of an SAE (from its latest state record), or null before one came. */
    public Double monitorDeadPct(String saeId) {
        Sae s = saes.get(saeId);
        return s == null ? null : (Double) s.state.get("dead_pct");
    }

    /** The message of the latest alert of {@code type} per SAE id. */
    public Map<String, String> latestAlerts(AlertType type) {
        Map<String, String> out = new TreeMap<>();
        synchronized (alerts) {
            for (Map<String, Object> a : alerts) // newest first
            if (type.toString().equals(a.get("type")))
                    out.putIfAbsent((String) a.get("sae_id"), (String) a.get("message"));
        }
        return out;
    }

    /**
     * What a feature page shows of feature {@code feature} of {@code saeId}, or null when the SAE
     * is unknown.
     */
    public Map<String, Object> feature(String saeId, int feature) {
        return features.feature(saeId, feature);
    }

    /** The live p-SNE map of an SAE's dictionary, or a note while the first one is made. */
    public Map<String, Object> map(String saeId) {
        return maps.map(saeId);
    }

    /** The tokens the statistics say were encoded for {@code saeId}, each window counted once. */
    public long encodedTokens(String saeId) {
        Sae s = saes.get(saeId);
        return s == null ? 0 : s.encodedTokens;
    }

    /** The watch rules, recent watch alerts and drift alerts (/api/watch). */
    public Map<String, Object> watch() {
        return watch.snapshot();
    }

    /** Alerts seen per SAE id since the start of the topic. */
    public Map<String, Long> alertsBySae() {
        return Map.copyOf(alertsBySae);
    }

    /** Everything the page draws, as plain maps and arrays ready for JSON. */
    public Map<String, Object> snapshot() {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> perSae = new TreeMap<>();
        saes.forEach(
                (id, s) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("arch", s.arch);
                    m.put("step", s.step);
                    m.put("tokens_trained", s.trainedTokens);
                    m.put("tokens_encoded", s.encodedTokens);
                    m.put("training", s.training.columns());
                    m.put("training_rate", s.trainingRate.columns());
                    m.put("encoding", s.encoding.columns());
                    m.put("state", s.state);
                    m.put("geometry", s.geometry);
                    m.put("spliced", spliced.of(id));
                    synchronized (s.versions) {
                        m.put("versions", new ArrayList<>(s.versions.values()));
                    }
                    m.put("alerts", alertsBySae.getOrDefault(id, 0L));
                    perSae.put(id, m);
                });
        out.put("saes", perSae);
        synchronized (alerts) {
            out.put("alerts", new ArrayList<>(alerts));
        }
        out.put("records_read", recordsRead);
        out.put("records_skipped", recordsSkipped);
        out.put("now_ms", System.currentTimeMillis());
        return out;
    }

    @Override
    public void close() {
        maps.close();
        if (closed.compareAndSet(false, true)) {
            consumer.wakeup();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!thread.isAlive()) consumer.close(Duration.ofSeconds(2));
        }
    }
}
