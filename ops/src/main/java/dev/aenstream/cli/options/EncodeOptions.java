package dev.aenstream.cli.options;

import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.setting.Setting;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Kafka Streams settings of the encode application: a flag for each setting {@link
 * EncodeConfig#ALL} declares, and the dictionary shard.
 */
@Command(modelTransformer = SettingFlags.class)
public final class EncodeOptions implements SettingFlags.Declared {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Override
    public List<Setting<?>> declared() {
        return EncodeConfig.ALL;
    }

    @Option(
            names = "--shard",
            paramLabel = "i/S",
            converter = ShardConverter.class,
            description =
                    "Serve shard i of S of each SAE's dictionary, features [i*D/S, (i+1)*D/S): S"
                            + " instances (or GPUs) split one dictionary too large for one. Each"
                            + " shard reads every row, as application ID-shard-i-of-S; codes name"
                            + " their shard and use global feature ids, the statistics and the"
                            + " monitor work per shard, and readers merge them (default: the whole"
                            + " dictionary).")
    DictionaryShard shard = DictionaryShard.WHOLE;

    public DictionaryShard shard() {
        return shard;
    }

    /** Reads {@code i/S}. */
    static final class ShardConverter
            implements picocli.CommandLine.ITypeConverter<DictionaryShard> {
        @Override
        public DictionaryShard convert(String value) {
            try {
                return DictionaryShard.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The settings without statistics; add them with {@link EncodeConfig#withMonitor}. */
    public EncodeConfig config(Topics topics, short replicationFactor) throws java.io.IOException {
        EncodeConfig.Builder b =
                EncodeConfig.defaults(topics, EncodeConfig.STATE_DIR.defaultValue()).toBuilder()
                        .monitor(null)
                        .replicationFactor(replicationFactor)
                        .shard(shard);
        SettingFlags.given(command, EncodeConfig.ALL).forEach(b::set);
        EncodeConfig config = b.build();
        Files.createDirectories(config.get(EncodeConfig.STATE_DIR));
        return config;
    }
}
