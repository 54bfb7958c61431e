package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
