package dev.aenstream.models;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SaeModelChunk;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.monitor.FollowerAlerts;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.topics.Partitions;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoders' model registry follower: reads the models topic from its start, and serves every
 * complete, verified version that fits the stream, replacing the previous version of the same SAE
 * between batches. A version that does not fit (another width n, missing chunks, a bad checksum, a
 * graph ONNX Runtime refuses) raises a {@code MODEL_REFUSED} alert and the current one keeps
 * serving; so does a record that is no version at all ({@link Refusals}). Until it has read the
 * topic to the end it had when the follower (re)started, it only notes the newest admitted version
 * of each SAE, and serves those once caught up: a restarted encoder never serves its SAEs' old
 * versions one after another on its way to the current ones.
 */
public final class ModelFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);

    /** The first wait after the follower fails; each further failure doubles it. */
    static final Duration MIN_BACKOFF = Duration.ofMillis(500);

    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** Polls in a row that must succeed before a restarted follower counts as back. */
    private static final int BACK_AFTER_POLLS = 3;

    private final Properties consumerProps;
    private final String topic;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private final CountDownLatch closing = new CountDownLatch(1);

    /**
     * 1 while the follower is down and waiting to restart, else 0 (gauge aen.models.follower.down).
     */
    private final AtomicInteger down =
            Metrics.gauge("aen.models.follower.down", new AtomicInteger());

    private final AtomicLong restarts = new AtomicLong();
    private final SaeRegistry registry;
    private final FollowerAlerts alerts;
    private final ModelAssembler assembler = new ModelAssembler();
    private final AvroSerde<SaeModel> models = new AvroSerde<>(SaeModel.class);
    private final AvroSerde<SaeModelChunk> chunks = new AvroSerde<>(SaeModelChunk.class);
    private final OpenEncoders encoders = new OpenEncoders();

    private final Refusals refusals;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;
    private final AtomicBoolean started = new AtomicBoolean();
    private final DictionaryShard shard;

    private final CatchUp catchUp = new CatchUp();

    private final ChunkGate chunkGate;

    private final AtomicLong loaded = new AtomicLong();
    private final VersionAdmission admission;
    private final VersionLoader loader;

    /** A follower serving whole dictionaries. */
    public ModelFollower(
            KafkaConnection connection,
            Topics topics,
            SaeRegistry registry,
            FollowerAlerts alerts,
            int expectedN,
            ModelTrust trust,
            Device device,
            int ortThreads) {
        this(
                connection,
                topics,
                registry,
                alerts,
                expectedN,
                trust,
                device,
                ortThreads,
                DictionaryShard.WHOLE);
    }

    /**
     * @param expectedN width of the stream's rows; versions of another width are refused
     * @param trust which versions may be served (signatures, version jumps)
     * @param shard the slice of each version's dictionary to serve
     */
    public ModelFollower(
            KafkaConnection connection,
            Topics topics,
            SaeRegistry registry,
            FollowerAlerts alerts,
            int expectedN,
            ModelTrust trust,
            Device device,
            int ortThreads,
            DictionaryShard shard) {
        this.registry = registry;
        this.shard = shard;
        this.alerts = alerts;
        this.admission = new VersionAdmission(trust, expectedN, shard);
        this.chunkGate = new ChunkGate(admission);
        this.loader = new VersionLoader(device, ortThreads, shard);
        Properties props = connection.client();
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
        // Trainers publish each version in a transaction: only committed versions are served.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumerProps = props;
        this.topic = topics.models();
        this.refusals = new Refusals(topic, alerts);
        this.thread = new Thread(this::loop, "aen-model-follower");
        thread.setDaemon(true);
    }

    /**
     * Starts following the models topic on the follower's own thread; the first connection is made
     * there, so a broker that is away is waited out with back-off, never thrown here.
     */
    public ModelFollower start() {
        if (started.compareAndSet(false, true)) thread.start();
        return this;
    }

    /** Versions refused so far, newest per SAE id. */
    public Map<String, Long> refused() {
        return refusals.newest();
    }

    /** Waits until at least {@code count} SAEs are served, or the timeout passes. */
    public boolean awaitServing(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (registry.serving().size() < count) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(50);
        }
        return true;
    }

    /**
     * Waits until the follower has read the models topic to the end it had at the start and serves
     * the newest admitted version of every SAE on it, and then at least one SAE (an empty topic
     * waits for the first version), or the timeout passes.
     */
    public boolean awaitEverySae(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int found = catchUp.await(timeout);
        return found >= 0
                && awaitServing(
                        Math.max(1, found),
                        Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /** Keeps replaced ONNX sessions open this long after a swap (tests that swap fast). */
    void retireAfter(Duration after) {
        encoders.retireAfter(after);
    }

    /** ONNX sessions open now: the ones served and the replaced ones not yet retired. */
    int openEncoders() {
        return encoders.open();
    }

    /** How many versions were loaded into ONNX Runtime and served so far. */
    public long versionsLoaded() {
        return loaded.get();
    }

    /** A consumer of the whole models topic from its beginning. */
    private KafkaConsumer<byte[], byte[]> open() {
        KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // Visible before the first request, so that close() can wake a follower that waits on a
        // broker which is away.
        consumer = c;
        try {
            if (closed.get()) throw new org.apache.kafka.common.errors.WakeupException();
            List<TopicPartition> partitions = Partitions.assignAll(c, topic);
            c.seekToBeginning(partitions);
            catchUp.start(c.endOffsets(partitions));
            return c;
        } catch (RuntimeException e) {
            consumer = null;
            c.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * Follows the topic until closed. Whatever stops it (an authorisation change, a broker that
     * answers nonsense, a bug) is logged and alerted, and the follower starts again from the
     * beginning of the topic after a back-off; the versions it serves keep serving meanwhile.
     */
    private void loop() {
        Duration backoff = MIN_BACKOFF;
        while (!closed.get()) {
            try {
                if (consumer == null) consumer = open();
                int answered = 0;
                while (!closed.get()) {
                    var records = consumer.poll(Duration.ofMillis(200));
                    // Back once the topic has answered a few polls in a row: a new consumer's
                    // first poll can return before its first fetch has failed.
                    if (++answered >= BACK_AFTER_POLLS && down.getAndSet(0) == 1) {
                        LOG.info("the model follower is back, reading the models topic again");
                        backoff = MIN_BACKOFF;
                    }
                    for (ConsumerRecord<byte[], byte[]> record : records) handle(record);
                    if (catchUp.active()) serveCaughtUp();
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                if (closed.get()) break;
                backoff = failed(e, backoff);
            } catch (Exception | OutOfMemoryError | StackOverflowError | LinkageError e) {
                backoff = failed(e, backoff);
            }
        }
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) c.close();
    }

    /** Once caught up, serves the newest version kept of each SAE. */
    private void serveCaughtUp() {
        List<ModelAssembler.Assembled> kept = catchUp.reached(consumer::position);
        if (catchUp.active()) return;
        for (ModelAssembler.Assembled a : kept) {
            try {
                serve(a);
            } finally {
                a.delete();
            }
        }
        catchUp.served(registry.serving().size());
    }

    /** Marks the follower down, alerts, waits {@code backoff}; returns the next back-off. */
    private Duration failed(Throwable e, Duration backoff) {
        if (closed.get()) return backoff;
        restarts.incrementAndGet();
        boolean first = down.getAndSet(1) == 0;
        LOG.warn(
                "the model follower stopped ({}); restarting in {} ms",
                e.toString(),
                backoff.toMillis());
        if (first && alerts != null) alerts.down(e);
        KafkaConsumer<byte[], byte[]> c = consumer;
        consumer = null;
        if (c != null) {
            try {
                c.close(Duration.ZERO);
            } catch (RuntimeException closing) {
                LOG.debug("closing a failed follower's consumer: {}", closing.toString());
            }
        }
        try {
            closing.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            closed.set(true);
        }
        Duration next = backoff.multipliedBy(2);
        return next.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next;
    }

    /** True while the follower is down, waiting to restart. */
    public boolean down() {
        return down.get() == 1;
    }

    /** How many times the follower has stopped and restarted. */
    public long restarts() {
        return restarts.get();
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        String type = ModelRecords.type(record.headers());
        // A tombstone retires an old version's chunk: nothing to assemble.
        if (record.value() == null) return;
        try {
            if (ModelRecords.CHUNK.equals(type)) {
                SaeModelChunk chunk = chunks.fromBytes(record.value());
                if (chunkGate.admits(chunk, newestKnown(chunk.getSaeId()), record.offset()))
                    assembler.add(chunk);
            } else if (ModelRecords.MODEL.equals(type)) {
                SaeModel m = models.fromBytes(record.value());
                // Read again after a restart: refused once is enough.
                if (refusals.refused(m)) return;
                // Untrusted metadata is refused for what it is, not for the chunks not spooled.
                String distrusted = admission.trustRefusal(m, newestKnown(m.getSaeId()));
                if (distrusted != null) {
                    assembler.discard(m);
                    refusals.refuse(m, distrusted);
                    return;
                }
                String chunksDropped = chunkGate.refusal(m);
                if (chunksDropped != null) {
                    assembler.discard(m);
                    refusals.refuse(m, chunksDropped);
                    return;
                }
                // Trusted: its lineage may move watch rules, whether or not it is ever served.
                registry.lineages().record(m);
                ModelAssembler.Assembled a = assembler.complete(m);
                if (catchUp.active()) {
                    keep(a);
                    return;
                }
                try {
                    serve(a);
                } finally {
                    // ONNX Runtime and the decoder have read what they keep: the file may go.
                    a.delete();
                }
            } else {
                refusals.unreadable(record.offset(), "no " + ModelRecords.TYPE_HEADER + " header");
            }
        } catch (ModelAssembler.RefusedModel e) {
            refusals.refuse(e.model(), e.getMessage());
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            refusals.unreadable(record.offset(), why);
        }
    }

    /**
     * While catching up, keeps {@code a} as its SAE's newest version if admitted; refuses it, or
     * drops it when not newer than what is kept or served.
     */
    private void keep(ModelAssembler.Assembled a) {
        SaeModel m = a.model();
        long serving = registry.version(m.getSaeId());
        try {
            if (m.getVersion() <= newestKnown(m.getSaeId())) return;
            admission.admit(a, serving);
            catchUp.keep(a);
            a = null;
        } catch (VersionRefused e) {
            refusals.refuse(m, e.getMessage());
        } finally {
            if (a != null) a.delete();
        }
    }

    /** The newest version of {@code saeId} served, or kept while catching up. */
    private long newestKnown(String saeId) {
        return Math.max(registry.version(saeId), catchUp.keptVersion(saeId));
    }

    private void serve(ModelAssembler.Assembled a) {
        SaeModel m = a.model();
        ServingSae current = registry.get(m.getSaeId());
        if (current != null && current.version() >= m.getVersion()) return;
        VersionLoader.Loaded loaded;
        try {
            loaded = loader.load(a, admission.admit(a, current == null ? 0 : current.version()));
        } catch (VersionRefused e) {
            refusals.refuse(m, e.getMessage());
            return;
        }
        encoders.opened(loaded.encoder());
        this.loaded.incrementAndGet();
        ServingSae replaced =
                registry.put(
                        new ServingSae(
                                m.getSaeId(),
                                m.getVersion(),
                                loaded.encoder(),
                                m.getArch()
                                        + " version "
                                        + m.getVersion()
                                        + " from the models topic",
                                loaded.decoder(),
                                m.getNormalisation()
                                        == dev.aenstream.avro.Normalisation.UNIT_SQRT_N,
                                shard,
                                m.getD(),
                                dev.aenstream.avro.SourceBinding.of(m)));
        LOG.info(
                "serving SAE {} v{}{} ({}, n={}, D={}, {} bytes){}",
                m.getSaeId(),
                m.getVersion(),
                shard.describe(m.getD()),
                m.getArch(),
                m.getN(),
                m.getD(),
                m.getSizeBytes(),
                replaced == null ? "" : ", replacing v" + replaced.version());
        if (replaced != null) encoders.replaced(replaced.encoder());
    }

    /** Set by the first {@link #close}: closing again does nothing. */
    private final AtomicBoolean released = new AtomicBoolean();

    @Override
    public void close() throws InterruptedException {
        if (!released.compareAndSet(false, true)) return;
        closed.set(true);
        closing.countDown();
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) c.wakeup();
        if (started.get()) thread.join(10_000);

        catchUp.close();
        assembler.close();
        encoders.close();
    }
}
