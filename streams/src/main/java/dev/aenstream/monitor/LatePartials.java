package dev.aenstream.monitor;

import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.Severity;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Stands before the windowed merge of statistics and sees what it will drop: a part whose window
 * closed (its end plus the grace period behind the newest window seen) can no longer be merged, so
 * it raises STATISTICS_LATE with the tokens the feature-stats topic misses, rather than letting
 * Kafka Streams drop them silently. It follows the stream time the merge follows: the newest window
 * start this task has seen.
 */
final class LatePartials implements FixedKeyProcessor<String, FeatureStats, SpecificRecord> {
    /** Its children: every part goes on to the merge, alerts to the alerts topic. */
    static final String STATISTICS = "on-to-merge";

    static final String ALERTS = "late-alerts";

    private final MonitorConfig config;
    private FixedKeyProcessorContext<String, SpecificRecord> context;
    private long streamTime = Long.MIN_VALUE;

    LatePartials(MonitorConfig config) {
        this.config = config;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, FeatureStats> record) {
        streamTime = Math.max(streamTime, record.timestamp());
        long end = record.timestamp() + config.get(MonitorConfig.WINDOW_MS);
        long grace = config.get(MonitorConfig.GRACE_MS);
        FeatureStats s = record.value();
        if (end <= streamTime - grace && s.getTokens() > 0) {
            var alert =
                    AlertSink.alert(
                                    AlertType.STATISTICS_LATE,
                                    Severity.WARNING,
                                    s.getSaeId(),
                                    s.getVersion())
                            .setValue(s.getTokens())
                            .setThreshold(grace)
                            .setMessage(
                                    "a part of the statistics window of "
                                            + s.getSaeId()
                                            + " v"
                                            + s.getVersion()
                                            + " from "
                                            + s.getWindowStartMs()
                                            + " ("
                                            + s.getTokens()
                                            + " tokens"
                                            + (s.getShards() > 1
                                                    ? ", part " + s.getShard() + "/" + s.getShards()
                                                    : "")
                                            + ") came "
                                            + (streamTime - end)
                                            + " ms after the window ended, past the grace period:"
                                            + " feature-stats misses these tokens; raise"
                                            + " --stats-grace-ms if encoders lag that much")
                            .setTimestampMs(System.currentTimeMillis())
                            .build();
            context.forward(record.withValue((SpecificRecord) alert), ALERTS);
            MonitorMetrics.alert(AlertType.STATISTICS_LATE);
        }
        context.forward(record.withValue((SpecificRecord) s), STATISTICS);
    }
}
