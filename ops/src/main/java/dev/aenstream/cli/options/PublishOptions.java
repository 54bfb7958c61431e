package dev.aenstream.cli.options;

import dev.aenstream.produce.PublisherConfig;
import dev.aenstream.sae.setting.Setting;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How activation rows are put on Kafka: a flag for each of {@link PublisherConfig}'s declared
 * settings that has one, the producer id and the rate.
 */
@Command(modelTransformer = SettingFlags.class)
public final class PublishOptions implements SettingFlags.Declared {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return PublisherConfig.ALL;
    }

    @Option(
            names = "--producer-id",
            paramLabel = "ID",
            description =
                    "Id written into every record with its sequence number (default:"
                            + " <source>-<time>).")
    String producerId;

    @Option(
            names = "--rate",
            paramLabel = "ROWS_PER_S",
            description =
                    "Rows per second to aim for; 0 publishes as fast as Kafka takes them (default:"
                            + " ${DEFAULT-VALUE}).")
    public double rate = 0;

    public PublisherConfig config(String topic, String sourceModel, String hookPoint) {
        return config(topic, sourceModel, hookPoint, "synthetic");
    }

    /** The publisher's settings; without --producer-id the id is {@code idPrefix-<time>}. */
    public PublisherConfig config(
            String topic, String sourceModel, String hookPoint, String idPrefix) {
        if (rate < 0) throw new IllegalArgumentException("--rate must be >= 0, got " + rate);
        String id = producerId != null ? producerId : idPrefix + "-" + System.currentTimeMillis();
        return PublisherConfig.of(topic, sourceModel, hookPoint, id)
                .with(SettingFlags.given(command, PublisherConfig.ALL));
    }
}
