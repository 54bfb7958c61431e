package dev.aenstream.cli;

import java.io.File;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code aen} command line: Kafka, SAE encoders and synthetic activations from one tool. */
@Command(
        name = "aen",
        mixinStandardHelpOptions = true,
        versionProvider = Aen.Version.class,
        description = {
            "Stream language-model activations through Kafka, encode them with sparse autoencoders"
                + " (SAEs) in ONNX Runtime, and watch the codes. Commands that need Kafka start an"
                + " embedded single-node broker when no --bootstrap-servers is given.",
            "",
            "Every option can also come from a properties file: --config FILE (key = option name"
                    + " without dashes, e.g. bootstrap-servers=kafka:9092 or, for one command,"
                    + " encode.k-max=64)."
        },
        subcommands = {
            BrokerCommand.class,
            TopicsCommand.class,
            ChaosCommand.class,
            SoakCommand.class,
            ProduceCommand.class,
            EncodeCommand.class,
            TrainCommand.class,
            BenchCommand.class,
            ExportCommand.class,
            EvalCommand.class,
            ModelsCommand.class,
            FeaturesCommand.class,
            StatusCommand.class,
            AlertsCommand.class,
            DemoCommand.class,
            ExperimentCommand.class,
            WatchCommand.class,
            KeysCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Aen implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(
            names = "--config",
            paramLabel = "FILE",
            scope = CommandLine.ScopeType.INHERIT,
            description = "Properties file with option defaults (flags on the command line win).")
    File config;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The configured command line; reads option defaults from {@code --config FILE} when given. */
    static CommandLine commandLine(String[] args) {
        CommandLine cli = new CommandLine(new Aen());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler(
                (e, command, parsed) -> {
                    // A failing command says why in one line; AEN_DEBUG=1 shows where.
                    command.getErr()
                            .println(
                                    command.getCommandSpec().qualifiedName()
                                            + ": "
                                            + (e.getMessage() != null ? e.getMessage() : e));
                    if (System.getenv("AEN_DEBUG") != null) e.printStackTrace(command.getErr());
                    return 2;
                });
        File config = configFile(args);
        if (config != null) {
            if (!config.isFile()) {
                throw new CommandLine.ParameterException(cli, "--config file not found: " + config);
            }
            cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(config));
        }
        return cli;
    }

    private static File configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) return new File(args[i + 1]);
            if (args[i].startsWith("--config="))
                return new File(args[i].substring("--config=".length()));
        }
        return null;
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Aen.class.getPackage().getImplementationVersion();
            return new String[] {"aen " + (v == null ? "(development build)" : v)};
        }
    }
}
