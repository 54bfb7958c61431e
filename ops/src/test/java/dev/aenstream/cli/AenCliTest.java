package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.online.OnlineTrainerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AenCliTest {
    @TempDir Path dir;

    private static void visit(CommandLine cli, java.util.function.Consumer<CommandLine> action) {
        action.accept(cli);
        cli.getSubcommands().values().forEach(sub -> visit(sub, action));
    }

    @Test
    void everyCommandAndEveryFlagIsDescribed() {
        visit(
                Aen.commandLine(new String[0]),
                cli -> {
                    var spec = cli.getCommandSpec();
                    assertThat(spec.usageMessage().description())
                            .as(spec.qualifiedName())
                            .isNotEmpty();
                    spec.options()
                            .forEach(
                                    option ->
                                            assertThat(String.join(" ", option.description()))
                                                    .as(
                                                            "%s %s",
                                                            spec.qualifiedName(),
                                                            option.longestName())
                                                    .isNotBlank());
                    StringWriter help = new StringWriter();
                    cli.usage(new PrintWriter(help));
                    spec.options()
                            .forEach(
                                    option ->
                                            assertThat(help.toString())
                                                    .contains(option.longestName()));
                });
    }

    @Test
    void declaredSettingsAreFlagsAndConfigKeysOfEveryProcess() throws Exception {
        Path config = dir.resolve("aen.properties");
        Files.writeString(
                config,
                "stats-window-ms=5000\nrare-density=0.01\nstream-threads=3\nstate-dir="
                        + dir.resolve("state")
                        + "\npublish-every=7\nnormalise=true\n");
        String[] encodeArgs = {"--config", config.toString(), "encode", "--rare-density", "0.002"};
        EncodeCommand encode =
                (EncodeCommand)
                        Aen.commandLine(encodeArgs)
                                .parseArgs(encodeArgs)
                                .subcommand()
                                .commandSpec()
                                .userObject();
        MonitorConfig monitor = encode.monitor.config();
        assertThat(monitor.get(MonitorConfig.WINDOW_MS)).isEqualTo(5000L);
        assertThat(monitor.get(MonitorConfig.RARE_DENSITY)).isEqualTo(0.002);
        assertThat(monitor.get(MonitorConfig.DEAD_TOKENS))
                .isEqualTo(MonitorConfig.DEAD_TOKENS.defaultValue());
        EncodeConfig encodeConfig = encode.encode.config(new Topics("t."), (short) 1);
        assertThat(encodeConfig.get(EncodeConfig.STREAM_THREADS)).isEqualTo(3);
        assertThat(encodeConfig.get(EncodeConfig.STATE_DIR)).isEqualTo(dir.resolve("state"));
        // Transactions outlast a wide dictionary's record (Kafka Streams' own 10 s per 16,384
        // features of the widest SAE, unless set), and the group waits for a poll's records.
        var kafka = dev.aenstream.avro.KafkaConnection.of("x:9092");
        java.util.Properties narrow = encodeConfig.streamsProperties(kafka, 4_096);
        assertThat(narrow.get("producer.transaction.timeout.ms")).isEqualTo(10_000);
        assertThat(narrow.get("consumer.max.poll.interval.ms")).isEqualTo(300_000);
        assertThat(
                        encodeConfig
                                .streamsProperties(kafka, 131_072)
                                .get("producer.transaction.timeout.ms"))
                .isEqualTo(80_000);
        java.util.Properties set =
                encodeConfig
                        .with(EncodeConfig.TRANSACTION_TIMEOUT_MS, 600_000L)
                        .streamsProperties(kafka, 4_096);
        assertThat(set.get("producer.transaction.timeout.ms")).isEqualTo(600_000);
        assertThat(set.get("consumer.max.poll.interval.ms")).isEqualTo(1_200_000);

        String[] trainArgs = {
            "--config", config.toString(), "train", "--source", "kafka", "--target-l0", "16"
        };
        TrainCommand train =
                (TrainCommand)
                        Aen.commandLine(trainArgs)
                                .parseArgs(trainArgs)
                                .subcommand()
                                .commandSpec()
                                .userObject();
        OnlineTrainerConfig online = train.onlineConfig(new Topics("t."));
        assertThat(online.get(OnlineTrainerConfig.PUBLISH_EVERY)).isEqualTo(7L);
        assertThat(online.get(OnlineTrainerConfig.NORMALISE)).isTrue();
        // --target-l0 reaches the online trainer, as it does an offline run.
        assertThat(online.get(OnlineTrainerConfig.TARGET_L0)).isEqualTo(16.0);
    }

    @Test
    void aBadSettingSaysWhichAndWhy() {
        String[] args = {"encode", "--stream-threads", "0"};
        EncodeCommand encode =
                (EncodeCommand)
                        Aen.commandLine(args)
                                .parseArgs(args)
                                .subcommand()
                                .commandSpec()
                                .userObject();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> encode.encode.config(new Topics("t."), (short) 1))
                .hasMessage("--stream-threads 0: streamThreads must be positive, got 0");
    }

    @Test
    void aConfigFileGivesDefaultsAndFlagsWin() throws Exception {
        Path config = dir.resolve("aen.properties");
        Files.writeString(config, "k-max=64\ndevice=cpu\n");
        String[] args = {"--config", config.toString(), "encode", "--device", "auto"};
        CommandLine cli = Aen.commandLine(args);
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        EncodeCommand encode = (EncodeCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(encode.sae.kMax()).isEqualTo(64);
        assertThat(encode.sae.device()).isEqualTo(dev.aenstream.sae.runtime.Device.AUTO);
    }

    @Test
    void badFlagsFailWithAMessageAndUsage() {
        StringWriter err = new StringWriter();
        CommandLine cli = Aen.commandLine(new String[0]);
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("demo", "--duration", "soon");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("--duration").contains("soon");
    }
}
