package dev.aenstream.cli;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.SaeState;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.monitor.SaeStates;
import dev.aenstream.sae.train.FeatureWindow;
import dev.aenstream.topics.Partitions;
import dev.aenstream.topics.SkippedRecords;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Prints the monitor's current state per SAE. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Print the starvation monitor's current state per SAE from the sae-state topic:"
                + " version, tokens seen, dead and rare shares, l0, and the density histogram drawn"
                + " in text.",
            "Waits out a broker that is away up to --timeout; exits 2 when the topic could not be"
                    + " read to its end by then."
        })
final class StatusCommand implements Callable<Integer> {
    private static final int BAR = 40;

    @Mixin KafkaOptions kafka;

    @Option(
            names = "--summary-json",
            paramLabel = "PATH",
            description = "Also write the state per SAE as JSON to this file.")
    Path summaryJson;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description =
                    "How long to wait for the state topic to be read to its end, a broker outage"
                            + " included (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = 60;

    /** Set when the topic could not be read to its end in time: the exit code says so. */
    private boolean incomplete;

    @Override
    public Integer call() throws Exception {
        Map<String, SaeState> states = new TreeMap<>();
        try (KafkaTarget target = KafkaTarget.open(kafka);
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                target.connection()
                                        .client(Map.of("isolation.level", "read_committed")),
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer())) {
            String topic = target.topics().saeState();
            List<TopicPartition> parts = Partitions.assignAll(consumer, topic);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            AvroSerde<SaeState> serde = new AvroSerde<>(SaeState.class);
            SkippedRecords skipped = new SkippedRecords(topic, SaeState.class);
            // A broker that is away for a while is waited for: the consumer reconnects by itself.
            long deadline = System.currentTimeMillis() + timeoutSeconds * 1000;
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.currentTimeMillis() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(300))) {
                    if (r.value() == null) continue; // a tombstone holds no state to show
                    SaeState s = skipped.decode(serde, r);
                    if (s != null)
                        states.put(SaeStates.key(s.getSaeId(), s.getShard(), s.getShards()), s);
                }
            }
            skipped.report(System.err::println);
            long behind = 0;
            for (TopicPartition tp : parts)
                behind += Math.max(0, end.get(tp) - consumer.position(tp));
            if (behind > 0) {
                System.err.printf(
                        "the broker did not deliver the last %d state records within %d s: what"
                                + " follows may be out of date (--timeout waits longer)%n",
                        behind, timeoutSeconds);
                incomplete = true;
            }
        }
        if (states.isEmpty())
            System.out.println(
                    "no SAE state yet: the encoders publish it once statistics windows close");
        List<Map<String, Object>> saes = new ArrayList<>();
        String[] labels = FeatureWindow.binLabels();
        for (SaeState s : SaeStates.merged(states.values())) {
            System.out.printf(
                    "%s%s v%d: %,d tokens, D=%d, dead %.2f%%, rare %.2f%%, l0 %.1f%n",
                    s.getSaeId(),
                    s.getShards() == 1 ? "" : " shard " + s.getShard() + "/" + s.getShards(),
                    s.getVersion(),
                    s.getTokens(),
                    s.getD(),
                    s.getDeadPct(),
                    s.getRarePct(),
                    s.getL0());
            long most = s.getDensityHistogram().stream().mapToLong(Long::longValue).max().orElse(1);
            for (int b = 0; b < s.getDensityHistogram().size(); b++) {
                long count = s.getDensityHistogram().get(b);
                System.out.printf(
                        "  %-6s %-" + BAR + "s %,d%n",
                        labels[b],
                        "#".repeat((int) Math.ceil((double) BAR * count / Math.max(1, most))),
                        count);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sae_id", s.getSaeId());
            if (s.getShards() > 1) m.put("shard", s.getShard() + "/" + s.getShards());
            m.put("version", s.getVersion());
            m.put("dead_pct", s.getDeadPct());
            m.put("rare_pct", s.getRarePct());
            m.put("tokens", s.getTokens());
            m.put("l0", s.getL0());
            m.put("d_sae", s.getD());
            m.put("density_histogram", s.getDensityHistogram());
            m.put("density_bins", List.of(labels));
            saes.add(m);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("saes", saes);
        SummaryJson.write(summaryJson, summary);
        return incomplete ? 2 : 0;
    }
}
