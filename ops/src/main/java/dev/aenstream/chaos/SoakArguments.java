package dev.aenstream.chaos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The command lines of the chaos soak's child processes, as a user would type them. */
final class SoakArguments {
    private SoakArguments() {}

    /**
     * The trainer of {@code saes} (id to architecture), checkpointing often, in {@code group};
     * {@code access} its credentials and signing key.
     */
    static List<String> trainer(
            String bootstrap,
            int brokers,
            ChaosSettings settings,
            Path work,
            String group,
            Map<String, String> saes,
            List<String> access) {
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(kafka(bootstrap, brokers));
        args.addAll(access);
        args.addAll(
                List.of(
                        "--n",
                        Integer.toString(settings.n()),
                        "--d-sae",
                        Integer.toString(settings.dSae()),
                        "--batch",
                        "64",
                        "--checkpoint-dir",
                        work.resolve("trainer").toString(),
                        "--checkpoint-every",
                        "5",
                        "--resume",
                        "--publish-every",
                        "25",
                        "--metrics-every",
                        "10",
                        "--idle-exit",
                        "15",
                        "--group-id",
                        group,
                        "--http-port",
                        "-1"));
        for (var sae : new TreeMap<>(saes).entrySet()) {
            args.add("--sae");
            args.add(sae.getKey() + ":" + sae.getValue());
        }
        return args;
    }

    /**
     * An encoder of the application {@code applicationId} that waits for every one of saes; {@code
     * access} its credentials and the keys it trusts.
     */
    static List<String> encoder(
            String bootstrap,
            int brokers,
            ChaosSettings settings,
            Path stateDir,
            String applicationId,
            Map<String, String> saes,
            List<String> access) {
        List<String> args = new ArrayList<>(List.of("encode"));
        args.addAll(kafka(bootstrap, brokers));
        args.addAll(access);
        args.addAll(
                List.of(
                        "--n",
                        Integer.toString(settings.n()),
                        "--application-id",
                        applicationId,
                        "--state-dir",
                        stateDir.toString(),
                        "--wait-for-saes",
                        Integer.toString(saes.size()),
                        "--stream-threads",
                        "1",
                        "--ort-threads",
                        "1",
                        "--http-port",
                        "-1"));
        return args;
    }

    private static List<String> kafka(String bootstrap, int brokers) {
        return List.of(
                "--bootstrap-server",
                bootstrap,
                "--topic-prefix",
                ChaosSoak.PREFIX,
                "--replication-factor",
                Integer.toString(brokers));
    }
}
