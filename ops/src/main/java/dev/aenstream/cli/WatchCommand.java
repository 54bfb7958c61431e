package dev.aenstream.cli;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.cli.options.KafkaOptions;
import dev.aenstream.monitor.WatchRules;
import dev.aenstream.topics.Producers;
import dev.aenstream.topics.TopicSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Watch rules: set, import, list and remove the features the monitor watches. */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = {
            "The features the monitor watches (docs/monitoring.md, \"Watch rules\"). A rule names a"
                    + " feature by its id in one version of an SAE; encoders follow it through"
                    + " later versions by their lineage. Rules live in the compacted watch-rules"
                    + " topic: every encoder applies a change within a second, without a restart."
        },
        subcommands = {
            WatchCommand.Set.class,
            WatchCommand.Apply.class,
            WatchCommand.Labels.class,
            WatchCommand.ListRules.class,
            WatchCommand.Remove.class
        })
final class WatchCommand implements Runnable {
    private static final AvroSerde<WatchRule> SERDE = new AvroSerde<>(WatchRule.class);

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                new picocli.CommandLine(this),
                "name what to do: set, apply, labels, list or remove");
    }

    /**
     * The cluster whose rules these are: rules on an embedded broker that stops with the command
     * would watch nothing.
     */
    static KafkaTarget cluster(KafkaOptions kafka) throws Exception {
        if (kafka.bootstrap(kafka.clientProperties()) == null)
            throw new IllegalArgumentException(
                    "aen watch works on a running cluster's rules: give --bootstrap-servers (or"
                            + " bootstrap-servers in --config)");
        return KafkaTarget.open(kafka);
    }

    /** Publishes {@code rules} (all were checked) and says so, one line each. */
    static void publish(KafkaOptions kafka, List<WatchRule> rules) throws Exception {
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (WatchRule r : rules) records.put(r.getRuleId(), SERDE.toBytes(r));
        write(kafka, records);
        System.out.printf("%d watch rule%s set%n", rules.size(), rules.size() == 1 ? "" : "s");
        if (rules.size() <= 20) for (WatchRule r : rules) System.out.println("  " + describe(r));
    }

    /**
     * Writes a record per rule id (a null value removes the rule), all sent before any is waited
     * for: a labels file of a whole dictionary is one round of batches, not one round trip each.
     */
    private static void write(KafkaOptions kafka, Map<String, byte[]> records) throws Exception {
        try (KafkaTarget target = cluster(kafka);
                KafkaProducer<byte[], byte[]> producer =
                        Producers.idempotent(target.connection(), "aen-watch")) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            records.forEach(
                    (id, value) ->
                            sent.add(
                                    producer.send(
                                            new ProducerRecord<>(
                                                    target.topics().watchRules(),
                                                    id.getBytes(StandardCharsets.UTF_8),
                                                    value))));
            for (Future<RecordMetadata> f : sent) f.get();
        }
    }

    static String describe(WatchRule r) {
        String what =
                switch (r.getCondition()) {
                    case ACTIVATION_ABOVE -> "activation above " + r.getThreshold();
                    case DENSITY_ABOVE ->
                            "density above "
                                    + r.getThreshold()
                                    + " per "
                                    + r.getWindowTokens()
                                    + " tokens";
                    case DENSITY_BELOW ->
                            "density below "
                                    + r.getThreshold()
                                    + " per "
                                    + r.getWindowTokens()
                                    + " tokens";
                    default -> "label";
                };
        return String.format(
                "%s: %s feature %d of %s%s%s",
                r.getRuleId(),
                what,
                r.getFeature(),
                r.getVersion() == 0 ? "any version" : "v" + r.getVersion(),
                r.getLabel().isEmpty() ? "" : " \"" + r.getLabel() + "\"",
                r.getDeclaredVersion() < 0
                        ? ""
                        : " (declared as feature "
                                + r.getDeclaredFeature()
                                + " of v"
                                + r.getDeclaredVersion()
                                + ")");
    }

    /** Which feature of which SAE version. */
    static final class Target {
        @Option(names = "--sae-id", required = true, paramLabel = "ID", description = "The SAE.")
        String saeId;

        @Option(names = "--feature", required = true, paramLabel = "J", description = "Its id.")
        int feature;

        @Option(
                names = "--at-version",
                paramLabel = "V",
                description =
                        "The version J is an id of; lineage follows it to later versions (default:"
                                + " 0, any version: ids carry over as they are).")
        long version;
    }

    /** The condition of {@code aen watch set}: one at most, or a label alone. */
    static final class Condition {
        @Option(
                names = "--above",
                paramLabel = "ACTIVATION",
                description = "Alert WATCH_ACTIVATION on a token where the feature is above this.")
        Double above;

        @Option(
                names = "--density-above",
                paramLabel = "DENSITY",
                description = "Alert WATCH_DENSITY when a window's density goes above this.")
        Double densityAbove;

        @Option(
                names = "--density-below",
                paramLabel = "DENSITY",
                description = "Alert WATCH_DENSITY when a window's density goes below this.")
        Double densityBelow;
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = "Set one rule (replacing the rule of the same id).")
    static final class Set implements Callable<Integer> {
        @Mixin KafkaOptions kafka;
        @Mixin Target target = new Target();

        @ArgGroup(exclusive = true, multiplicity = "0..1")
        Condition condition;

        @Option(names = "--label", paramLabel = "TEXT", description = "What the feature means.")
        String label;

        @Option(
                names = "--id",
                paramLabel = "RULE",
                description = "The rule's id (default: SAE:FEATURE@vVERSION:CONDITION).")
        String id;

        @Option(
                names = "--window-tokens",
                paramLabel = "TOKENS",
                description = "Tokens a density is judged on (default: 100000).")
        Long windowTokens;

        @Option(
                names = "--dedup-window-ms",
                paramLabel = "MS",
                description =
                        "At most one WATCH_ACTIVATION per document in this time (default: 600000).")
        Long dedupWindowMs;

        @Option(
                names = "--max-per-minute",
                paramLabel = "N",
                description =
                        "At most this many WATCH_ACTIVATION a minute; the rest are counted"
                                + " (default: 6).")
        Integer maxPerMinute;

        @Override
        public Integer call() throws Exception {
            WatchCondition c = WatchCondition.LABEL;
            Double threshold = null;
            if (condition != null && condition.above != null) {
                c = WatchCondition.ACTIVATION_ABOVE;
                threshold = condition.above;
            } else if (condition != null && condition.densityAbove != null) {
                c = WatchCondition.DENSITY_ABOVE;
                threshold = condition.densityAbove;
            } else if (condition != null && condition.densityBelow != null) {
                c = WatchCondition.DENSITY_BELOW;
                threshold = condition.densityBelow;
            }
            WatchRule r =
                    WatchRuleFiles.rule(
                            id,
                            target.saeId,
                            target.feature,
                            target.version,
                            label,
                            c,
                            threshold,
                            windowTokens,
                            dedupWindowMs,
                            maxPerMinute,
                            System.currentTimeMillis());
            publish(kafka, List.of(r));
            return 0;
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = {
                "Set every rule of a JSON file: an array of objects with saeId, feature, and"
                        + " optionally id, version, label, condition (label, activation_above,"
                        + " density_above, density_below), threshold, windowTokens, dedupWindowMs,"
                        + " maxAlertsPerMinute. All are checked first: one bad rule sets none."
            })
    static final class Apply implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The rules.")
        Path file;

        @Override
        public Integer call() throws Exception {
            publish(kafka, WatchRuleFiles.rules(file, System.currentTimeMillis()));
            return 0;
        }
    }

    @Command(
            name = "labels",
            mixinStandardHelpOptions = true,
            description = {
                "Import feature labels as LABEL rules: Neuronpedia-style explanations JSON (objects"
                        + " with index and description) or CSV (feature,label). Labels name"
                        + " features in drift alerts and on the dashboard."
            })
    static final class Labels implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The labels.")
        Path file;

        @Option(names = "--sae-id", required = true, paramLabel = "ID", description = "The SAE.")
        String saeId;

        @Option(
                names = "--at-version",
                paramLabel = "V",
                description = "The version the file's feature ids are of (default: 0, any).")
        long version;

        @Override
        public Integer call() throws Exception {
            publish(kafka, WatchRuleFiles.labels(file, saeId, version, System.currentTimeMillis()));
            return 0;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description =
                    "Print the rules, and any record on the topic no encoder applies, with why.")
    static final class ListRules implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Option(names = "--sae-id", paramLabel = "ID", description = "Only this SAE's rules.")
        String saeId;

        @Override
        public Integer call() throws Exception {
            entries(kafka)
                    .forEach(
                            (id, r) -> {
                                if (r.rule() == null)
                                    System.out.printf(
                                            "%s: not applied: %s; aen watch remove --id %s"
                                                    + " removes it%n",
                                            id, r.refusal(), id);
                                else if (saeId == null || r.rule().getSaeId().equals(saeId))
                                    System.out.println(describe(r.rule()));
                            });
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove rules by id.")
    static final class Remove implements Callable<Integer> {
        @Mixin KafkaOptions kafka;

        @Option(
                names = "--id",
                required = true,
                split = ",",
                paramLabel = "RULE",
                description = "The rules' ids.")
        List<String> ids;

        @Override
        public Integer call() throws Exception {
            Map<String, WatchRules.Reading> known = entries(kafka);
            for (String id : ids)
                if (!known.containsKey(id))
                    throw new IllegalArgumentException(
                            "no watch rule '" + id + "'; aen watch list shows them");
            Map<String, byte[]> tombstones = new LinkedHashMap<>();
            for (String id : ids) tombstones.put(id, null);
            write(kafka, tombstones);
            System.out.printf("%d watch rule%s removed%n", ids.size(), ids.size() == 1 ? "" : "s");
            return 0;
        }
    }

    /** The rules on the topic now that the monitor applies, by id. */
    static Map<String, WatchRule> read(KafkaOptions kafka) throws Exception {
        Map<String, WatchRule> rules = new TreeMap<>();
        entries(kafka)
                .forEach(
                        (id, r) -> {
                            if (r.rule() != null) rules.put(id, r.rule());
                        });
        return rules;
    }

    /**
     * Every rule id on the topic now with what its record holds, refused ones too: the topic is
     * untrusted, and a record the monitor skips must still be listed and removable.
     */
    static Map<String, WatchRules.Reading> entries(KafkaOptions kafka) throws Exception {
        Map<String, WatchRules.Reading> entries = new TreeMap<>();
        try (KafkaTarget target = cluster(kafka)) {
            for (var r : TopicSnapshot.read(target.connection(), target.topics().watchRules())) {
                if (r.key() == null) continue;
                String id = new String(r.key(), StandardCharsets.UTF_8);
                if (r.value() == null) entries.remove(id);
                else entries.put(id, WatchRules.Reading.of(r.value()));
            }
        }
        return entries;
    }
}
