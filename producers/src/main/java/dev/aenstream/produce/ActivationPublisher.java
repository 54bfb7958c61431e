package dev.aenstream.produce;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.LittleEndian;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.TextSpan;
import dev.aenstream.avro.Topics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes activation rows as {@link ActivationBatch} records: idempotent, compressed, keyed by
 * {@code producerId/sequence}, and blocking when too many records are in flight. A failed send is
 * never dropped silently: the next call to {@code publish} or {@code flush} throws it. The producer
 * id on the records is the one configured followed by an epoch ({@code ID@EPOCH}, the publisher's
 * start in ms), since sequence numbers start at 0 again when a producer restarts: without it, a
 * restarted producer's batches would look like the ones before it to every reader that keys by
 * producer and sequence.
 */
public final class ActivationPublisher implements AutoCloseable {
    private final PublisherConfig config;
    private final String producerId;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private final Semaphore inFlight;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private long sequence;
    private long rowsPublished;

    public ActivationPublisher(KafkaConnection connection, PublisherConfig config) {
        this.config = config;
        this.producerId = config.producerId() + "@" + System.currentTimeMillis();
        this.inFlight = new Semaphore(config.get(PublisherConfig.MAX_IN_FLIGHT_RECORDS));
        this.producer =
                new KafkaProducer<>(
                        producerProperties(connection, config),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
    }

    /**
     * The Kafka producer settings activation records are sent with (a benchmark's raw producer uses
     * them too).
     */
    public static Properties producerProperties(
            KafkaConnection connection, PublisherConfig config) {
        Properties props = connection.client();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, config.get(PublisherConfig.COMPRESSION));
        props.put(ProducerConfig.LINGER_MS_CONFIG, config.get(PublisherConfig.LINGER_MS));
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "aen-producer-" + config.producerId());
        return props;
    }

    public PublisherConfig config() {
        return config;
    }

    /** The producer id on its records: the configured one and this publisher's epoch. */
    public String producerId() {
        return producerId;
    }

    /** Whether {@code onRecord} is the producer id of a publisher configured with {@code id}. */
    public static boolean publishedAs(String onRecord, String id) {
        return onRecord.equals(id) || onRecord.startsWith(id + "@");
    }

    /** Rows handed to Kafka so far. */
    public long rowsPublished() {
        return rowsPublished;
    }

    /**
     * Publishes {@code rows} rows of width {@code n} from {@code x}, split into records of at most
     * {@code rowsPerRecord} rows. Normalises the given array in place when configured to.
     */
    public void publish(float[] x, int rows, int n) throws InterruptedException {
        publish(x, rows, n, null, null);
    }

    /**
     * As {@link #publish(float[], int, int)}, with each row's token id and its (start, end)
     * character offsets in the source text; either may be null.
     */
    public void publish(float[] x, int rows, int n, int[] tokenIds, int[] textOffsets)
            throws InterruptedException {
        publish(x, rows, n, tokenIds, textOffsets, null);
    }

    /**
     * As {@link #publish(float[], int, int)}, with where each row comes from in text: each record
     * carries its rows' token ids, offsets and the parts of their documents around them.
     */
    public void publish(float[] x, int rows, int n, RowText text) throws InterruptedException {
        if (text.rows() < rows) throw new IllegalArgumentException("fewer text rows than rows");
        publish(x, rows, n, text.tokenIds(), text.textOffsets(), text);
    }

    private void publish(
            float[] x, int rows, int n, int[] tokenIds, int[] textOffsets, RowText text)
            throws InterruptedException {
        if (tokenIds != null && tokenIds.length < rows)
            throw new IllegalArgumentException("fewer token ids than rows");
        if (textOffsets != null && textOffsets.length < 2 * rows)
            throw new IllegalArgumentException("fewer text offsets than rows");
        for (int start = 0; start < rows; start += config.get(PublisherConfig.ROWS_PER_RECORD)) {
            int count = Math.min(config.get(PublisherConfig.ROWS_PER_RECORD), rows - start);
            ByteBuffer scales =
                    config.normalisation() == Normalisation.UNIT_SQRT_N
                            ? normalise(x, start * n, count, n)
                            : null;
            send(
                    Matrices.encode(x, start * n, count, n, config.get(PublisherConfig.DTYPE)),
                    count,
                    n,
                    config.get(PublisherConfig.DTYPE),
                    config.normalisation(),
                    scales,
                    tokenIds == null ? null : LittleEndian.ints(tokenIds, start, count),
                    textOffsets == null
                            ? null
                            : LittleEndian.ints(textOffsets, 2 * start, 2 * count),
                    text == null ? null : spans(text, start, count));
        }
    }

    /** The record's documents, each cut to its rows with a margin, and each row's index in them. */
    private record Spans(List<TextSpan> documents, ByteBuffer rowDocuments) {}

    private static Spans spans(RowText text, int from, int count) {
        Map<Integer, int[]> range = new LinkedHashMap<>();
        for (int r = from; r < from + count; r++) {
            int[] span =
                    range.computeIfAbsent(
                            text.rowDocuments()[r],
                            d -> new int[] {Integer.MAX_VALUE, 0, range.size()});
            span[0] = Math.min(span[0], text.textOffsets()[2 * r]);
            span[1] = Math.max(span[1], text.textOffsets()[2 * r + 1]);
        }
        List<TextSpan> documents = new ArrayList<>(range.size());
        range.forEach(
                (doc, span) -> {
                    String all = text.documents().get(doc).text();
                    int start = Math.max(0, span[0] - RowText.MARGIN_CHARS);
                    int end = Math.min(all.length(), span[1] + RowText.MARGIN_CHARS);
                    documents.add(
                            new TextSpan(
                                    text.documents().get(doc).name(),
                                    start,
                                    all.substring(start, end)));
                });
        int[] rowDocuments = new int[count];
        for (int r = from; r < from + count; r++)
            rowDocuments[r - from] = range.get(text.rowDocuments()[r])[2];
        return new Spans(documents, LittleEndian.ints(rowDocuments));
    }

    /**
     * Publishes one record whose payload is already {@code rows x n} little-endian values of {@code
     * dtype}, as they are: replayed files reach the topic bit for bit.
     */
    public void publishRaw(ByteBuffer payload, int rows, int n, Dtype dtype)
            throws InterruptedException {
        long expected = (long) rows * n * Matrices.bytesPerElement(dtype);
        if (payload.remaining() != expected) {
            throw new IllegalArgumentException(
                    "payload has "
                            + payload.remaining()
                            + " bytes, "
                            + rows
                            + " x "
                            + n
                            + " "
                            + dtype
                            + " need "
                            + expected);
        }
        send(payload, rows, n, dtype, Normalisation.NONE, null, null, null, null);
    }

    private void send(
            ByteBuffer payload,
            int rows,
            int n,
            Dtype dtype,
            Normalisation normalisation,
            ByteBuffer scales,
            ByteBuffer tokenIds,
            ByteBuffer textOffsets,
            Spans spans)
            throws InterruptedException {
        throwIfFailed();
        ActivationBatch batch =
                ActivationBatch.newBuilder()
                        .setSourceModel(config.sourceModel())
                        .setHookPoint(config.hookPoint())
                        .setRows(rows)
                        .setN(n)
                        .setDtype(dtype)
                        .setNormalisation(normalisation)
                        .setScales(scales)
                        .setProducerId(producerId)
                        .setSequence(sequence)
                        .setPayload(payload)
                        .setTokenIds(tokenIds)
                        .setTextOffsets(textOffsets)
                        .setDocuments(spans == null ? null : spans.documents())
                        .setRowDocuments(spans == null ? null : spans.rowDocuments())
                        .setTimestampMs(System.currentTimeMillis())
                        .build();
        byte[] key = (producerId + "/" + sequence).getBytes(StandardCharsets.UTF_8);
        inFlight.acquire();
        try {
            producer.send(
                    new ProducerRecord<>(config.topic(), key, serde.toBytes(batch)),
                    (metadata, error) -> {
                        inFlight.release();
                        if (error != null) failure.compareAndSet(null, error);
                    });
        } catch (KafkaException e) {
            inFlight.release();
            throw e;
        }
        sequence++;
        rowsPublished += rows;
    }

    /** Rescales each row to L2 norm sqrt(n) in place; returns the factors as float32 LE. */
    private static ByteBuffer normalise(float[] x, int offset, int rows, int n) {
        ByteBuffer scales = ByteBuffer.allocate(rows * 4).order(ByteOrder.LITTLE_ENDIAN);
        scales.asFloatBuffer().put(Matrices.normaliseRows(x, offset, rows, n));
        return scales;
    }

    /** Waits until every record handed over so far is acknowledged; throws the first failure. */
    public void flush() {
        producer.flush();
        throwIfFailed();
    }

    private void throwIfFailed() {
        Exception e = failure.get();
        if (e != null)
            throw new KafkaException("publishing activations failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close(Duration.ofSeconds(30));
        }
    }
}
