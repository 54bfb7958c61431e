package dev.aenstream.bench;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.CodesRecords;
import dev.aenstream.monitor.ShardedWindows;
import dev.aenstream.node.EncoderNode;
import dev.aenstream.produce.ActivationPublisher;
import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.produce.RowText;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.topics.TopicSnapshot;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * A served version through the encode application as {@code aen encode} runs it (Kafka Streams,
 * exactly-once, statistics and contexts on): the codes it commits for known rows, the rate it
 * sustains, and whether the statistics and contexts it publishes for the version came out and
 * account for every row it encoded.
 */
public final class ApplicationRun {
    /**
     * What the application did: its settled rate; the rows it encoded and the largest difference of
     * the checked rows' committed codes from the direct computation; the rows the version's
     * statistics count, in how many records (the largest of how many bytes); the contexts records;
     * the dead letters.
     */
    public record Figures(
            double rowsPerS,
            long rows,
            double maxCodeError,
            long statsTokens,
            int statsRecords,
            int largestStatsBytes,
            int contextsRecords,
            long deadLetters) {
        public Map<String, Object> summary() {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("rows_per_s", rowsPerS);
            out.put("rows", rows);
            out.put("max_code_error", maxCodeError);
            out.put("stats_tokens", statsTokens);
            out.put("stats_records", statsRecords);
            out.put("largest_stats_bytes", largestStatsBytes);
            out.put("contexts_records", contextsRecords);
            out.put("dead_letters", deadLetters);
            return out;
        }
    }

    /** Records in flight at most: a closed loop measures what the application sustains. */
    private static final int BACKLOG_RECORDS = 4;

    /** How long the rows' codes and the statistics covering them may take to appear. */
    private static final Duration ARRIVAL_LIMIT = Duration.ofMinutes(5);

    private static final long POLL_MS = 200;

    private final KafkaConnection connection;
    private final Topics topics;
    private final String saeId;
    private final PrintStream progress;

    ApplicationRun(KafkaConnection connection, Topics topics, String saeId, PrintStream progress) {
        this.connection = connection;
        this.topics = topics;
        this.saeId = saeId;
        this.progress = progress;
    }

    /**
     * Starts {@code node}'s application, publishes {@code x} ({@code rows} rows of width {@code n})
     * once and checks its committed codes with {@code check}, then keeps publishing it for {@code
     * seconds} and takes the settled rate.
     */
    Figures run(
            EncoderNode node,
            float[] x,
            int rows,
            int n,
            double seconds,
            ToDoubleFunction<SparseCodes> check)
            throws Exception {
        String producerId = "bench-scale-app-" + System.nanoTime();
        try (CodesTally tally = new CodesTally(connection, topics, producerId);
                ActivationPublisher publisher =
                        new ActivationPublisher(
                                connection,
                                PublisherConfig.of(
                                                topics.activations(),
                                                "synthetic",
                                                "scale",
                                                producerId)
                                        .with(PublisherConfig.ROWS_PER_RECORD, rows))) {
            node.startEncoding();
            RowText text = RowText.words(rows, "scale");
            publisher.publish(x, rows, n, text);
            publisher.flush();
            awaitRows(tally, rows, "the first record's codes");
            double error = check.applyAsDouble(CodesRecords.fromRecord(tally.firstCodes()));
            progress.printf(
                    "scale: the application's committed codes equal the direct computation (max"
                            + " error %.2g)%n",
                    error);

            double rate;
            try (ClosedLoopFeed feed =
                    new ClosedLoopFeed(
                            "bench-scale-feed",
                            publisher::rowsPublished,
                            tally::tokens,
                            (long) BACKLOG_RECORDS * rows,
                            i -> publisher.publish(x, rows, n, text))) {
                rate = SettledRate.of(tally::tokens, seconds);
            }
            publisher.flush();
            long published = publisher.rowsPublished();
            awaitRows(tally, published, "every row's codes");
            progress.printf(
                    "scale: the application encoded %,d rows, %,.0f rows/s settled%n",
                    published, rate);
            Statistics stats = awaitStatistics(tally.tokens());
            int contexts = awaitContexts();
            progress.printf(
                    "scale: its statistics count %,d rows in %d records (the largest %,d bytes);"
                            + " %d records of contexts; %d dead letters%n",
                    stats.tokens, stats.records, stats.largestBytes, contexts, tally.deadLetters());
            return new Figures(
                    rate,
                    tally.tokens(),
                    error,
                    stats.tokens,
                    stats.records,
                    stats.largestBytes,
                    contexts,
                    tally.deadLetters());
        }
    }

    private void awaitRows(CodesTally tally, long rows, String what) throws InterruptedException {
        long deadline = System.nanoTime() + ARRIVAL_LIMIT.toNanos();
        while (tally.tokens() < rows) {
            if (tally.deadLetters() > 0)
                throw new IllegalStateException(
                        "the application dead-lettered "
                                + tally.deadLetters()
                                + " records: see "
                                + topics.dlq());
            if (System.nanoTime() > deadline)
                throw new IllegalStateException(
                        what + " did not arrive on " + topics.codes() + " in " + ARRIVAL_LIMIT);
            Thread.sleep(POLL_MS);
        }
    }

    /** The version's statistics as the dashboard reads them: the latest record of each part. */
    private record Statistics(long tokens, int records, int largestBytes) {}

    /** Waits until the version's statistics count {@code rows} rows in all. */
    private Statistics awaitStatistics(long rows) throws InterruptedException {
        AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
        long deadline = System.nanoTime() + ARRIVAL_LIMIT.toNanos();
        while (true) {
            Map<String, FeatureStats> latest = new TreeMap<>();
            int[] largest = {0};
            TopicSnapshot.forEach(
                    connection,
                    topics.featureStats(),
                    r -> {
                        if (r.value() == null) return;
                        FeatureStats s = serde.fromBytes(r.value());
                        if (!s.getSaeId().equals(saeId)) return;
                        latest.put(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), s);
                        largest[0] = Math.max(largest[0], r.serializedValueSize());
                    });
            ShardedWindows windows = new ShardedWindows();
            long tokens = 0;
            for (FeatureStats s : latest.values())
                tokens += windows.add(s).map(FeatureStats::getTokens).orElse(0L);
            if (tokens >= rows) return new Statistics(tokens, latest.size(), largest[0]);
            if (System.nanoTime() > deadline)
                throw new IllegalStateException(
                        "the statistics count "
                                + tokens
                                + " of "
                                + rows
                                + " rows after "
                                + ARRIVAL_LIMIT);
            Thread.sleep(POLL_MS * 5);
        }
    }

    /** Records of top contexts published for the version, once there is one. */
    private int awaitContexts() throws InterruptedException {
        AvroSerde<FeatureContexts> serde = new AvroSerde<>(FeatureContexts.class);
        long deadline = System.nanoTime() + ARRIVAL_LIMIT.toNanos();
        while (true) {
            int[] records = {0};
            TopicSnapshot.forEach(
                    connection,
                    topics.featureContexts(),
                    r -> {
                        if (r.value() != null
                                && serde.fromBytes(r.value()).getSaeId().equals(saeId))
                            records[0]++;
                    });
            if (records[0] > 0) return records[0];
            if (System.nanoTime() > deadline)
                throw new IllegalStateException(
                        "no contexts on " + topics.featureContexts() + " after " + ARRIVAL_LIMIT);
            Thread.sleep(POLL_MS * 5);
        }
    }
}
