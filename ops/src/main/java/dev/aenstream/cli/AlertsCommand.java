package dev.aenstream.cli;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.topics.Partitions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Follows the alerts topic in a form a person reads. */
@Command(
        name = "alerts",
        mixinStandardHelpOptions = true,
        description = {
            "Follow the alerts topic: one line per alert with its time, severity, type, SAE and"
                    + " version, message and the first feature ids."
        })
final class AlertsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final int SHOWN_IDS = 12;

    @Mixin KafkaOptions kafka;

    @Option(names = "--from-beginning", description = "Show the alerts already on the topic too.")
    boolean fromBeginning;

    @Option(names = "--sae-id", paramLabel = "ID", description = "Only alerts of this SAE.")
    String saeId;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description =
                    "Stop after this long; 0 follows until Ctrl-C (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 0;

    @Override
    public Integer call() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true)));
        try (KafkaTarget target = KafkaTarget.open(kafka);
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                target.connection()
                                        .client(Map.of("isolation.level", "read_committed")),
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer())) {
            String topic = target.topics().alerts();
            List<TopicPartition> parts = Partitions.assignAll(consumer, topic);
            if (fromBeginning) consumer.seekToBeginning(parts);
            else consumer.seekToEnd(parts);
            AvroSerde<Alert> serde = new AvroSerde<>(Alert.class);
            long deadline =
                    durationSeconds > 0
                            ? System.currentTimeMillis() + durationSeconds * 1000
                            : Long.MAX_VALUE;
            while (!stop.get() && System.currentTimeMillis() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(300))) {
                    Alert a;
                    try {
                        a = serde.fromBytes(r.value());
                    } catch (RuntimeException e) {
                        System.out.println(
                                "(unreadable alert at offset "
                                        + r.offset()
                                        + ": "
                                        + e.getMessage()
                                        + ")");
                        continue;
                    }
                    if (saeId == null || saeId.equals(a.getSaeId())) System.out.println(format(a));
                }
            }
        }
        return 0;
    }

    static String format(Alert a) {
        String ids =
                a.getFeatureIds().isEmpty()
                        ? ""
                        : "  features "
                                + a.getFeatureIds().stream()
                                        .limit(SHOWN_IDS)
                                        .map(String::valueOf)
                                        .collect(Collectors.joining(","))
                                + (a.getFeatureIds().size() > SHOWN_IDS
                                        ? ",... (" + a.getFeatureIds().size() + ")"
                                        : "");
        return String.format(
                "%s %-8s %-18s %s v%d  %s%s",
                TIME.format(Instant.ofEpochMilli(a.getTimestampMs())),
                a.getSeverity(),
                a.getAlertType(),
                a.getSaeId(),
                a.getVersion(),
                a.getMessage(),
                ids);
    }
}
