package dev.aenstream.chaos;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.RowIds;
import dev.aenstream.topics.Producers;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends activation batches of random rows at a steady rate, idempotently, and keeps the ledger the
 * soak checks against: which batches the cluster acknowledged, their rows, and the sum of their row
 * ids ({@link RowIds}). Every {@value #FAST_CLOCK_EVERY}th batch is stamped by a clock {@link
 * #FAST_CLOCK_MS} ahead, as from a producer whose clock runs fast: it must close no window early.
 */
final class RowProducer implements AutoCloseable {
    static final String PRODUCER_ID = "chaos";

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final int n;
    private final int rows;
    private final double batchesPerSecond;
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private final SplittableRandom random;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Map<Long, Boolean> acked = new ConcurrentHashMap<>();
    private final AtomicLong checksum = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Thread thread;

    static final int FAST_CLOCK_EVERY = 10;

    /** Fifty minutes: far past any window's grace. */
    static final long FAST_CLOCK_MS = 50 * 60_000L;

    RowProducer(
            KafkaConnection connection,
            String topic,
            int n,
            int rows,
            double batchesPerSecond,
            long seed) {
        this.producer = Producers.idempotent(connection, "aen-chaos-producer");
        this.topic = topic;
        this.n = n;
        this.rows = rows;
        this.batchesPerSecond = batchesPerSecond;
        this.random = new SplittableRandom(seed);
        this.thread = new Thread(this::loop, "aen-chaos-producer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void loop() {
        long periodNs = (long) (1e9 / batchesPerSecond);
        long next = System.nanoTime();
        float[] x = new float[rows * n];
        for (long sequence = 0; !stop.get(); sequence++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            long stamp =
                    System.currentTimeMillis()
                            + (sequence % FAST_CLOCK_EVERY == FAST_CLOCK_EVERY - 1
                                    ? FAST_CLOCK_MS
                                    : 0);
            ActivationBatch batch =
                    ActivationBatch.newBuilder()
                            .setSourceModel("chaos")
                            .setHookPoint("random")
                            .setRows(rows)
                            .setN(n)
                            .setDtype(Dtype.FLOAT32)
                            .setNormalisation(Normalisation.NONE)
                            .setProducerId(PRODUCER_ID)
                            .setSequence(sequence)
                            .setPayload(Matrices.encode(x, 0, rows, n, Dtype.FLOAT32))
                            .setTimestampMs(stamp)
                            .build();
            long seq = sequence;
            producer.send(
                    new ProducerRecord<>(
                            topic,
                            null,
                            stamp,
                            Long.toString(seq).getBytes(StandardCharsets.UTF_8),
                            serde.toBytes(batch)),
                    (m, e) -> {
                        if (e != null) {
                            failed.incrementAndGet();
                            return;
                        }
                        if (acked.putIfAbsent(seq, true) == null) {
                            long sum = 0;
                            for (int r = 0; r < rows; r++) sum += RowIds.hash(PRODUCER_ID, seq, r);
                            checksum.addAndGet(sum);
                        }
                    });
            next += periodNs;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops sending and waits until every batch sent is acknowledged or has failed. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(30_000);
        producer.flush();
        producer.close();
    }

    /** Sequence numbers of the batches the cluster acknowledged. */
    java.util.Set<Long> acknowledged() {
        return acked.keySet();
    }

    long rowsPerBatch() {
        return rows;
    }

    long checksum() {
        return checksum.get();
    }

    /** Batches whose send failed for good (not in the ledger). */
    long failed() {
        return failed.get();
    }
}
