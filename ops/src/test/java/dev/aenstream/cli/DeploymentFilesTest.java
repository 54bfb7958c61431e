package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.broker.BrokerSecurity;
import dev.aenstream.broker.ClusterCredentials;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * ops/deploy, checked without a container engine: the Compose file and each Kustomize overlay
 * (rendered by kubectl) parse, describe a consistent KRaft quorum where they run one, wire every
 * reference (selectors, volumes, config maps, services, ports) to something that exists, and every
 * aen command in them parses with the real command line, with its configuration file, against
 * options that exist. The Prometheus rules pass promtool's check and their unit tests, and the
 * Grafana dashboard holds together.
 */
class DeploymentFilesTest {
    private static final Path DEPLOY = Path.of("deploy");
    @TempDir Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void composeDescribesAThreeBrokerQuorumAndValidAenCommands() throws Exception {
        Map<String, Object> compose =
                new Yaml().load(Files.readString(DEPLOY.resolve("docker-compose.yml")));
        Map<String, Map<String, Object>> services =
                (Map<String, Map<String, Object>>) compose.get("services");
        List<String> brokers =
                services.keySet().stream().filter(s -> s.startsWith("kafka-")).sorted().toList();
        assertThat(brokers).containsExactly("kafka-1", "kafka-2", "kafka-3");

        Set<String> voters = new HashSet<>();
        Set<String> ids = new HashSet<>();
        Set<String> clusterIds = new HashSet<>();
        for (String broker : brokers) {
            Map<String, Object> env = (Map<String, Object>) services.get(broker).get("environment");
            String id = env.get("KAFKA_NODE_ID").toString();
            ids.add(id);
            clusterIds.add(env.get("CLUSTER_ID").toString());
            voters.add(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS").toString());
            assertThat(env.get("KAFKA_PROCESS_ROLES").toString()).isEqualTo("broker,controller");
            assertThat(env.get("KAFKA_ADVERTISED_LISTENERS").toString())
                    .isEqualTo("SASL_SSL://" + broker + ":9092,INTERNAL://" + broker + ":9094");
            assertThat(env.get("KAFKA_LISTENERS").toString())
                    .contains("SASL_SSL://:9092")
                    .contains("CONTROLLER://:9093");
            assertKafkaSecured(broker, strings(env));
            assertThat(mounts(services.get(broker)))
                    .as("%s reads its TLS stores where the apache/kafka image looks", broker)
                    .containsEntry(KAFKA_SECRETS, ClusterCredentials.BROKER);
            assertThat(Integer.parseInt(env.get("KAFKA_MIN_INSYNC_REPLICAS").toString()))
                    .isLessThan(
                            Integer.parseInt(
                                    env.get("KAFKA_DEFAULT_REPLICATION_FACTOR").toString()));
            assertThat(
                            Integer.parseInt(
                                    env.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR")
                                            .toString()))
                    .isLessThanOrEqualTo(brokers.size());
            assertThat(id)
                    .as("node id of %s", broker)
                    .isEqualTo(broker.substring("kafka-".length()));
        }
        assertThat(ids).hasSize(3);
        assertThat(clusterIds).as("one cluster id").hasSize(1);
        assertThat(voters).as("every broker names the same voters").hasSize(1);
        assertThat(voters.iterator().next().split(","))
                .containsExactlyInAnyOrder("1@kafka-1:9093", "2@kafka-2:9093", "3@kafka-3:9093");

        Set<String> volumes = ((Map<String, Object>) compose.get("volumes")).keySet();
        for (Map.Entry<String, Map<String, Object>> service : services.entrySet()) {
            Object dependsOn = service.getValue().get("depends_on");
            if (dependsOn instanceof Map<?, ?> deps)
                assertThat(services.keySet()).containsAll((Set<String>) deps.keySet());
            for (Object mount :
                    (List<Object>) service.getValue().getOrDefault("volumes", List.of())) {
                String source =
                        mount instanceof Map<?, ?> m
                                ? m.get("source").toString()
                                : mount.toString().split(":")[0];
                if (source.startsWith("./"))
                    assertThat(DEPLOY.resolve(source.substring(2)))
                            .as(mount.toString())
                            .isRegularFile();
                else
                    assertThat(volumes).as("named volume of %s", service.getKey()).contains(source);
            }
            for (Object published :
                    (List<Object>) service.getValue().getOrDefault("ports", List.of())) {
                assertThat(published.toString())
                        .as("%s publishes its ports on the host's loopback only", service.getKey())
                        .startsWith("127.0.0.1:");
            }
            if (!aenImage(service.getValue().get("image"))) continue;
            List<String> args =
                    ((List<Object>) service.getValue().get("command"))
                            .stream().map(Object::toString).toList();
            assertRunsInItsImage(service.getKey(), service.getValue().get("image"), args);
            assertSignedModels(service.getKey(), args);
            if (args.contains("encode"))
                assertOnlyThePublicKey(service.getKey(), service.getValue());
            assertCommandParses(
                    service.getKey(), withConfig(args, DEPLOY.resolve("aen.properties")), brokers);
            if (!Set.of("credentials", "keys").contains(service.getKey()))
                assertOwnCredentials(service.getKey(), args, mounts(service.getValue()));
        }
        assertThat(
                        services.entrySet().stream()
                                .filter(
                                        e ->
                                                ((List<Object>)
                                                                e.getValue()
                                                                        .getOrDefault(
                                                                                "volumes",
                                                                                List.of()))
                                                        .stream()
                                                                .anyMatch(
                                                                        m ->
                                                                                m.toString()
                                                                                        .startsWith(
                                                                                                "credentials:")))
                                .map(Map.Entry::getKey))
                .as("only the service that makes them sees every credential")
                .containsExactly("credentials");
        assertThat(Files.readString(DEPLOY.resolve("Dockerfile")))
                .as("the image runs as an unprivileged user")
                .containsPattern("(?m)^USER [1-9][0-9]*")
                .contains("-t aen-stream:latest")
                .contains("--target encoder -t aen-stream:encoder")
                .contains("--target trainer -t aen-stream:trainer")
                .contains("/src/ops/target/aen.jar")
                .contains("/src/ops/target/lib")
                .contains("/src/ops/target/image-encoder/lib")
                .contains("/src/ops/target/image-trainer/lib");
    }

    @Test
    void thePrometheusRulesPassPromtoolAndTheirOwnUnitTests() throws Exception {
        Path rules = DEPLOY.resolve("prometheus");
        assertThat(tool(rules, "promtool", "check", "rules", "aen-alerts.yml"))
                .contains("SUCCESS: 9 rules found");
        assertThat(tool(rules, "promtool", "test", "rules", "aen-alerts.test.yml"))
                .contains("SUCCESS");
    }

    /**
     * The Grafana dashboard: a panel per figure, each asking Prometheus by the dashboard's
     * variables.
     */
    @Test
    void theGrafanaDashboardHoldsTogether() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var dash = json.readTree(DEPLOY.resolve("grafana/aen-stream.json").toFile());
        List<String> variables = new ArrayList<>();
        dash.get("templating").get("list").forEach(v -> variables.add(v.get("name").asText()));
        assertThat(variables).containsExactly("datasource", "sae_id");
        Set<Integer> ids = new HashSet<>();
        int queries = 0;
        for (var panel : dash.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("panel ids are unique").isTrue();
            var grid = panel.get("gridPos");
            assertThat(grid.get("x").asInt() + grid.get("w").asInt()).isLessThanOrEqualTo(24);
            if (panel.get("type").asText().equals("row")) continue;
            assertThat(panel.get("datasource").get("uid").asText()).isEqualTo("${datasource}");
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            for (var target : panel.get("targets")) {
                String expr = target.get("expr").asText();
                assertThat(expr)
                        .as("a metric of aen or of its Kafka clients")
                        .containsPattern("(aen|kafka)_");
                if (expr.contains("sae_id") && !expr.contains("sum by"))
                    assertThat(expr).as("%s follows the SAE picked", expr).contains("$sae_id");
                queries++;
            }
        }
        assertThat(queries).isGreaterThan(20);
        // Every metric the dashboard and the rules use is one docs/monitoring.md tells operators
        // of;
        // MetricsEndpointIT finds each in a real encoder's scrape.
        String docs = Files.readString(Path.of("..", "docs", "monitoring.md"));
        for (String metric : OperatorMetrics.used(DEPLOY))
            assertThat(docs).as("docs/monitoring.md names %s", metric).contains(metric);
    }

    private static String tool(Path dir, String... command) throws Exception {
        Process p =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), out).isZero();
        return out;
    }

    /** The Kustomize overlays and the brokers each runs in the cluster (0: a cluster of yours). */
    private static final Map<String, Integer> OVERLAYS =
            Map.of("in-cluster", 3, "trial", 1, "production", 0);

    @Test
    void everyKustomizeOverlayRendersToConsistentManifests() throws Exception {
        try (var overlays = Files.list(DEPLOY.resolve("k8s/overlays"))) {
            assertThat(overlays.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrderElementsOf(OVERLAYS.keySet());
        }
        for (var overlay : OVERLAYS.entrySet())
            kubernetesManifestsAreConsistent(
                    overlay.getKey(),
                    render(DEPLOY.resolve("k8s/overlays").resolve(overlay.getKey())),
                    overlay.getValue());
    }

    /** What {@code kubectl kustomize} renders of an overlay (Debian's kubectl). */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> render(Path overlay) throws Exception {
        Process p =
                new ProcessBuilder("kubectl", "kustomize", overlay.toString())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("kubectl kustomize %s: %s", overlay, out).isZero();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(out))
            if (doc != null) docs.add((Map<String, Object>) doc);
        return docs;
    }

    @SuppressWarnings("unchecked")
    private void kubernetesManifestsAreConsistent(
            String overlay, List<Map<String, Object>> docs, int brokers) throws Exception {
        Map<String, String> apiVersions =
                Map.of(
                        "Service",
                        "v1",
                        "ConfigMap",
                        "v1",
                        "StatefulSet",
                        "apps/v1",
                        "Deployment",
                        "apps/v1",
                        "Job",
                        "batch/v1",
                        "PodDisruptionBudget",
                        "policy/v1");
        for (Map<String, Object> doc : docs) {
            assertThat(apiVersions).containsKey((String) doc.get("kind"));
            assertThat(doc.get("apiVersion"))
                    .as("apiVersion of %s", doc.get("kind"))
                    .isEqualTo(apiVersions.get(doc.get("kind")));
            assertThat(name(doc)).isNotBlank();
        }
        Map<String, Map<String, Object>> configMaps =
                docs.stream()
                        .filter(d -> d.get("kind").equals("ConfigMap"))
                        .collect(Collectors.toMap(DeploymentFilesTest::name, d -> d));
        // Generated from aen.properties, with a hash of its content: pods roll when it changes.
        Map<String, Object> aenConfig =
                configMaps.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("aen-config-"))
                        .map(Map.Entry::getValue)
                        .findFirst()
                        .orElseThrow();
        Set<String> serviceNames =
                docs.stream()
                        .filter(d -> d.get("kind").equals("Service"))
                        .map(DeploymentFilesTest::name)
                        .collect(Collectors.toSet());
        List<Map<String, Object>> workloads =
                docs.stream()
                        .filter(
                                d ->
                                        Set.of("StatefulSet", "Deployment", "Job")
                                                .contains(d.get("kind")))
                        .toList();

        List<Map<String, Object>> podTemplates = new ArrayList<>();
        for (Map<String, Object> w : workloads) {
            Map<String, Object> spec = (Map<String, Object>) w.get("spec");
            Map<String, Object> template = (Map<String, Object>) spec.get("template");
            Map<String, Object> labels =
                    (Map<String, Object>)
                            ((Map<String, Object>) template.get("metadata")).get("labels");
            if (spec.get("selector") != null) {
                Map<String, Object> match =
                        (Map<String, Object>)
                                ((Map<String, Object>) spec.get("selector")).get("matchLabels");
                assertThat(labels).as("template labels of %s", name(w)).containsAllEntriesOf(match);
            }
            if (w.get("kind").equals("StatefulSet"))
                assertThat(serviceNames).contains((String) spec.get("serviceName"));
            Map<String, Object> pod = (Map<String, Object>) template.get("spec");
            podTemplates.add(template);
            Set<String> volumeNames = new HashSet<>();
            for (Map<String, Object> v :
                    (List<Map<String, Object>>) pod.getOrDefault("volumes", List.of())) {
                volumeNames.add((String) v.get("name"));
                if (v.get("configMap") != null)
                    assertThat(configMaps)
                            .containsKey(
                                    (String)
                                            ((Map<String, Object>) v.get("configMap")).get("name"));
            }
            for (Map<String, Object> claim :
                    (List<Map<String, Object>>)
                            spec.getOrDefault("volumeClaimTemplates", List.of())) {
                volumeNames.add(name(claim));
            }
            Map<String, Object> podSecurity = (Map<String, Object>) pod.get("securityContext");
            assertThat(podSecurity).as("pod securityContext of %s", name(w)).isNotNull();
            assertThat(podSecurity.get("runAsNonRoot"))
                    .as("%s runs as non-root", name(w))
                    .isEqualTo(true);
            for (Map<String, Object> c : (List<Map<String, Object>>) pod.get("containers")) {
                assertHardened(name(w), w.get("kind").toString(), c, template);
                for (Map<String, Object> m :
                        (List<Map<String, Object>>) c.getOrDefault("volumeMounts", List.of())) {
                    assertThat(volumeNames)
                            .as("volumes of %s", name(w))
                            .contains((String) m.get("name"));
                }
                if (!aenImage(c.get("image"))) continue;
                Path config = dir.resolve(overlay + "-" + name(w) + ".properties");
                Files.writeString(
                        config,
                        (String)
                                ((Map<String, Object>) aenConfig.get("data"))
                                        .get("aen.properties"));
                List<String> args =
                        ((List<Object>) c.get("args")).stream().map(Object::toString).toList();
                // A cluster of yours is reached by the names you give, not by services here.
                assertCommandParses(
                        overlay + "/" + name(w),
                        withConfig(args, config),
                        brokers == 0 ? null : List.copyOf(serviceNames));
                assertRunsInItsImage(name(w), c.get("image"), args);
                assertSignedModels(name(w), args);
                Map<String, String> own = new HashMap<>();
                secretMounts(spec, c)
                        .forEach(
                                (path, secret) -> {
                                    if (secret.startsWith("aen-kafka-"))
                                        own.put(path, secret.substring("aen-kafka-".length()));
                                });
                assertOwnCredentials(name(w), args, own);
            }
        }
        // Every Service selects some pods, and named target ports exist on them.
        for (Map<String, Object> svc :
                docs.stream().filter(d -> d.get("kind").equals("Service")).toList()) {
            Map<String, Object> spec = (Map<String, Object>) svc.get("spec");
            Map<String, Object> selector = (Map<String, Object>) spec.get("selector");
            List<Map<String, Object>> selected =
                    podTemplates.stream()
                            .filter(
                                    t ->
                                            ((Map<String, Object>)
                                                            ((Map<String, Object>)
                                                                            t.get("metadata"))
                                                                    .get("labels"))
                                                    .entrySet()
                                                    .containsAll(selector.entrySet()))
                            .toList();
            assertThat(selected).as("pods selected by service %s", name(svc)).isNotEmpty();
            for (Map<String, Object> port : (List<Map<String, Object>>) spec.get("ports")) {
                Object target = port.get("targetPort");
                if (!(target instanceof String named)) continue;
                boolean exists =
                        selected.stream()
                                .flatMap(
                                        t ->
                                                ((List<Map<String, Object>>)
                                                                ((Map<String, Object>)
                                                                                t.get("spec"))
                                                                        .get("containers"))
                                                        .stream())
                                .flatMap(
                                        c ->
                                                ((List<Map<String, Object>>)
                                                                c.getOrDefault("ports", List.of()))
                                                        .stream())
                                .anyMatch(p -> named.equals(p.get("name")));
                assertThat(exists).as("port %s of service %s", named, name(svc)).isTrue();
            }
        }
        // The quorum: a replica per broker, voters naming each pod through the headless service.
        if (brokers == 0) {
            assertThat(workloads)
                    .as("%s runs no Kafka", overlay)
                    .noneMatch(w -> name(w).equals("kafka"));
            String props =
                    (String) ((Map<String, Object>) aenConfig.get("data")).get("aen.properties");
            for (String server : bootstrapServers(props))
                assertThat(serviceNames)
                        .as("%s names its cluster's brokers", overlay)
                        .doesNotContain(server);
            return;
        }
        Map<String, Object> kafka =
                workloads.stream().filter(w -> name(w).equals("kafka")).findFirst().orElseThrow();
        Map<String, Object> kafkaSpec = (Map<String, Object>) kafka.get("spec");
        assertThat(kafkaSpec.get("replicas")).as("%s brokers", overlay).isEqualTo(brokers);
        Map<String, Object> container =
                ((List<Map<String, Object>>)
                                ((Map<String, Object>)
                                                ((Map<String, Object>) kafkaSpec.get("template"))
                                                        .get("spec"))
                                        .get("containers"))
                        .get(0);
        String voters =
                ((List<Map<String, Object>>) container.get("env"))
                        .stream()
                                .filter(e -> e.get("name").equals("KAFKA_CONTROLLER_QUORUM_VOTERS"))
                                .map(e -> e.get("value").toString())
                                .findFirst()
                                .orElseThrow();
        Map<String, String> kafkaEnv = new HashMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) container.get("env"))
            if (e.get("value") != null)
                kafkaEnv.put(e.get("name").toString(), e.get("value").toString());
        assertKafkaSecured("the kafka StatefulSet", kafkaEnv);
        assertThat(secretMounts(kafkaSpec, container))
                .containsEntry(KAFKA_SECRETS, "aen-kafka-" + ClusterCredentials.BROKER);
        String headless = (String) kafkaSpec.get("serviceName");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < brokers; i++)
            expected.add((i + 1) + "@kafka-" + i + "." + headless + ":9093");
        assertThat(voters.split(",")).containsExactlyElementsOf(expected);
        // Nothing asks for more replicas than there are brokers.
        assertThat(Integer.parseInt(kafkaEnv.get("KAFKA_DEFAULT_REPLICATION_FACTOR")))
                .isLessThanOrEqualTo(brokers);
        assertThat(Integer.parseInt(kafkaEnv.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR")))
                .isLessThanOrEqualTo(brokers);
        String props = (String) ((Map<String, Object>) aenConfig.get("data")).get("aen.properties");
        Properties p = new Properties();
        p.load(new StringReader(props));
        assertThat(Integer.parseInt(p.getProperty("replication-factor")))
                .isLessThanOrEqualTo(brokers);
        boolean pdb = docs.stream().anyMatch(d -> d.get("kind").equals("PodDisruptionBudget"));
        assertThat(pdb)
                .as("%s: a disruption budget only where a broker may go", overlay)
                .isEqualTo(brokers > 1);
    }

    private static List<String> bootstrapServers(String properties) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(properties));
        return java.util.Arrays.stream(p.getProperty("bootstrap-servers").split(","))
                .map(server -> server.split(":")[0])
                .toList();
    }

    /**
     * A container drops every capability and cannot gain privileges; aen's own has a read-only root
     * file system; a long-running one has liveness and readiness probes on a port it declares and
     * memory requests and limits; a scraped pod declares the port its annotation names.
     */
    @SuppressWarnings("unchecked")
    private static void assertHardened(
            String workload, String kind, Map<String, Object> c, Map<String, Object> template) {
        Map<String, Object> sc = (Map<String, Object>) c.get("securityContext");
        assertThat(sc).as("securityContext of %s", workload).isNotNull();
        assertThat(sc.get("allowPrivilegeEscalation")).isEqualTo(false);
        assertThat((List<Object>) ((Map<String, Object>) sc.get("capabilities")).get("drop"))
                .as("capabilities %s drops", workload)
                .contains("ALL");
        if (aenImage(c.get("image")))
            assertThat(sc.get("readOnlyRootFilesystem"))
                    .as("%s read-only root", workload)
                    .isEqualTo(true);
        if (kind.equals("Job")) return;
        Set<Object> ports = new HashSet<>();
        for (Map<String, Object> port :
                (List<Map<String, Object>>) c.getOrDefault("ports", List.of())) {
            ports.add(port.get("name"));
            ports.add(port.get("containerPort"));
        }
        for (String probe : List.of("livenessProbe", "readinessProbe")) {
            Map<String, Object> p = (Map<String, Object>) c.get(probe);
            assertThat(p).as("%s of %s", probe, workload).isNotNull();
            Map<String, Object> target =
                    (Map<String, Object>)
                            (p.containsKey("httpGet") ? p.get("httpGet") : p.get("tcpSocket"));
            assertThat(ports)
                    .as("the port %s of %s probes", probe, workload)
                    .contains(target.get("port"));
        }
        Map<String, Object> resources = (Map<String, Object>) c.get("resources");
        assertThat(((Map<String, Object>) resources.get("requests")).get("memory"))
                .as("%s memory request", workload)
                .isNotNull();
        assertThat(((Map<String, Object>) resources.get("limits")).get("memory"))
                .as("%s memory limit", workload)
                .isNotNull();
        Map<String, Object> annotations =
                (Map<String, Object>)
                        ((Map<String, Object>) template.get("metadata"))
                                .getOrDefault("annotations", Map.of());
        if (annotations.containsKey("prometheus.io/port"))
            assertThat(ports)
                    .as("%s declares the port Prometheus scrapes", workload)
                    .contains(Integer.parseInt(annotations.get("prometheus.io/port").toString()));
    }

    private static final String KAFKA_SECRETS = "/etc/kafka/secrets";

    /**
     * A broker's settings: every listener speaks TLS, clients log in with SCRAM, brokers and the
     * set-up job by certificate, ACLs decide, and no secret is in the file.
     */
    private static void assertKafkaSecured(String where, Map<String, String> env) {
        Map<String, String> protocols = new HashMap<>();
        for (String pair : env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").split(",")) {
            String[] kv = pair.split(":");
            protocols.put(kv[0], kv[1]);
        }
        assertThat(protocols.values())
                .as("%s: listeners' protocols", where)
                .containsOnly("SASL_SSL", "SSL");
        for (String listener : env.get("KAFKA_LISTENERS").split(",")) {
            String name = listener.substring(0, listener.indexOf("://"));
            assertThat(protocols).as("%s: protocol of %s", where, name).containsKey(name);
            String auth =
                    env.get("KAFKA_LISTENER_NAME_" + name.replace("_", "__") + "_SSL_CLIENT_AUTH");
            if (protocols.get(name).equals("SSL"))
                assertThat(auth)
                        .as("%s: %s authenticates by certificate", where, name)
                        .isEqualTo("required");
        }
        assertThat(protocols.get(env.get("KAFKA_INTER_BROKER_LISTENER_NAME"))).isEqualTo("SSL");
        assertThat(protocols.get(env.get("KAFKA_CONTROLLER_LISTENER_NAMES"))).isEqualTo("SSL");
        assertThat(env.get("KAFKA_SASL_ENABLED_MECHANISMS")).isEqualTo(BrokerSecurity.MECHANISM);
        assertThat(env.get("KAFKA_AUTHORIZER_CLASS_NAME")).endsWith(".StandardAuthorizer");
        assertThat(env.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND")).isEqualTo("false");
        assertThat(env.get("KAFKA_SUPER_USERS").split(";"))
                .as("%s: super users are certificates only", where)
                .allMatch(u -> u.startsWith("User:CN="));
        assertThat(env)
                .as("%s: TLS stores named as aen keys cluster writes them", where)
                .containsEntry("KAFKA_SSL_KEYSTORE_FILENAME", ClusterCredentials.KEYSTORE)
                .containsEntry(
                        "KAFKA_SSL_KEYSTORE_CREDENTIALS", ClusterCredentials.KEYSTORE_PASSWORD)
                .containsEntry("KAFKA_SSL_KEY_CREDENTIALS", ClusterCredentials.KEY_PASSWORD)
                .containsEntry("KAFKA_SSL_TRUSTSTORE_FILENAME", ClusterCredentials.TRUSTSTORE)
                .containsEntry(
                        "KAFKA_SSL_TRUSTSTORE_CREDENTIALS", ClusterCredentials.TRUSTSTORE_PASSWORD);
        for (var e : env.entrySet()) {
            assertThat(e.getKey())
                    .as("%s: no password in the file", where)
                    .doesNotEndWith("_PASSWORD");
            assertThat(e.getValue().toLowerCase())
                    .as("%s: %s", where, e.getKey())
                    .doesNotContain("password=");
        }
    }

    /**
     * A component logs in with the client settings of its own credentials folder, mounted where
     * those settings say, and its dashboard (if any) as the dashboard principal.
     *
     * @param mounted credentials folders by where they are mounted
     */
    private static void assertOwnCredentials(
            String where, List<String> args, Map<String, String> mounted) {
        for (String flag : List.of("--command-config", "--http-command-config")) {
            int at = args.indexOf(flag);
            if (flag.equals("--command-config"))
                assertThat(at).as("%s logs in with its own client settings", where).isPositive();
            if (at < 0) continue;
            Path file = Path.of(args.get(at + 1));
            assertThat(file.getFileName().toString()).isEqualTo(ClusterCredentials.CLIENT_CONFIG);
            assertThat(file.getParent().getParent())
                    .isEqualTo(ClusterCredentials.DEFAULT_MOUNT_ROOT);
            String holder = file.getParent().getFileName().toString();
            assertThat(mounted)
                    .as("%s mounts the %s folder at %s", where, holder, file.getParent())
                    .containsEntry(file.getParent().toString(), holder);
            if (flag.equals("--http-command-config")) assertThat(holder).isEqualTo("dashboard");
        }
        assertThat(mounted.size())
                .as("%s mounts no credentials but its own and the dashboard's: %s", where, mounted)
                .isLessThanOrEqualTo(args.contains("--http-command-config") ? 2 : 1);
    }

    /** A Compose service's mounts of the credentials volume: target to subpath. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> mounts(Map<String, Object> service) {
        Map<String, String> out = new HashMap<>();
        for (Object m : (List<Object>) service.getOrDefault("volumes", List.of())) {
            if (!(m instanceof Map<?, ?> mount) || !"credentials".equals(mount.get("source")))
                continue;
            assertThat(mount.get("read_only")).as("%s is read-only", mount).isEqualTo(true);
            out.put(
                    mount.get("target").toString(),
                    ((Map<String, Object>) mount.get("volume")).get("subpath").toString());
        }
        return out;
    }

    /** A pod container's mounts of Secrets: mount path to Secret name. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> secretMounts(
            Map<String, Object> workloadSpec, Map<String, Object> container) {
        Map<String, Object> pod =
                (Map<String, Object>)
                        ((Map<String, Object>) workloadSpec.get("template")).get("spec");
        Map<String, String> secretByVolume = new HashMap<>();
        for (Map<String, Object> v :
                (List<Map<String, Object>>) pod.getOrDefault("volumes", List.of()))
            if (v.get("secret") != null)
                secretByVolume.put(
                        v.get("name").toString(),
                        ((Map<String, Object>) v.get("secret")).get("secretName").toString());
        Map<String, String> out = new HashMap<>();
        for (Map<String, Object> m :
                (List<Map<String, Object>>) container.getOrDefault("volumeMounts", List.of()))
            if (secretByVolume.containsKey(m.get("name").toString()))
                out.put(
                        m.get("mountPath").toString(),
                        secretByVolume.get(m.get("name").toString()));
        return out;
    }

    private static Map<String, String> strings(Map<String, Object> env) {
        Map<String, String> out = new HashMap<>();
        env.forEach((k, v) -> out.put(k, v.toString()));
        return out;
    }

    /** An encoder mounts the keys volume's public folder only: it can check, never sign. */
    @SuppressWarnings("unchecked")
    private static void assertOnlyThePublicKey(String where, Map<String, Object> service) {
        for (Object m : (List<Object>) service.getOrDefault("volumes", List.of())) {
            if (m instanceof String s)
                assertThat(s).as("%s mounts no whole keys volume", where).doesNotStartWith("keys:");
            else if (m instanceof Map<?, ?> mount && "keys".equals(mount.get("source")))
                assertThat(((Map<String, Object>) mount.get("volume")).get("subpath"))
                        .as("%s mounts only the public key", where)
                        .isEqualTo("public");
        }
    }

    /** Trainers sign what they publish and encoders serve only what verifies. */
    private static void assertSignedModels(String where, List<String> args) {
        if (args.contains("train") || args.contains("encode")) {
            int n = args.indexOf("--n");
            assertThat(n)
                    .as("%s names the width of MiniLM's rows, the deployment's producer", where)
                    .isPositive();
            assertThat(args.get(n + 1)).isEqualTo("384");
        }
        if (args.contains("train"))
            assertThat(args).as("%s signs its versions", where).contains("--signing-key");
        if (args.contains("encode"))
            assertThat(args)
                    .as("%s checks signatures", where)
                    .contains("--trusted-keys")
                    .doesNotContain("--allow-unsigned-models");
    }

    @SuppressWarnings("unchecked")
    private static String name(Map<String, Object> doc) {
        return Objects.toString(((Map<String, Object>) doc.get("metadata")).get("name"));
    }

    /** The arguments with the container's --config path replaced by the file it mounts. */
    private static String[] withConfig(List<String> args, Path config) {
        List<String> out = new ArrayList<>(args);
        int at = out.indexOf("--config");
        if (at < 0) {
            assertThat(args).as("a command with no --config talks to no Kafka").contains("keys");
            return out.toArray(String[]::new);
        }
        out.set(at + 1, config.toString());
        return out.toArray(String[]::new);
    }

    /**
     * The arguments parse with the real command line, the configuration's keys are options aen has,
     * and its bootstrap servers are hosts the deployment defines.
     */
    private static void assertCommandParses(String where, String[] args, List<String> hosts)
            throws IOException {
        CommandLine cli = Aen.commandLine(args);
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        assertThat(parsed.subcommand()).as("%s runs a subcommand", where).isNotNull();
        if (!java.util.Arrays.asList(args).contains("--config")) return;
        Properties props = new Properties();
        props.load(
                new StringReader(
                        Files.readString(
                                Path.of(
                                        args[
                                                java.util.Arrays.asList(args).indexOf("--config")
                                                        + 1]))));
        Set<String> options = new HashSet<>();
        collectOptions(cli, options);
        assertThat(options)
                .as("options named in the configuration of %s", where)
                .containsAll(props.stringPropertyNames());
        for (String server : props.getProperty("bootstrap-servers").split(",")) {
            if (hosts == null) break;
            assertThat(hosts)
                    .as("bootstrap server %s of %s", server, where)
                    .contains(server.split(":")[0]);
        }
        assertThat(Integer.parseInt(props.getProperty("replication-factor")))
                .isLessThanOrEqualTo(3);
    }

    private static void collectOptions(CommandLine cli, Set<String> into) {
        for (CommandLine.Model.OptionSpec o : cli.getCommandSpec().options())
            into.add(o.longestName().replaceFirst("^--", ""));
        for (CommandLine sub : cli.getSubcommands().values()) collectOptions(sub, into);
    }

    private static boolean aenImage(Object image) {
        return image != null && image.toString().startsWith("aen-stream:");
    }

    /** The encoder and trainer images carry one command each (ops/deploy/Dockerfile). */
    private static void assertRunsInItsImage(String who, Object image, List<String> args) {
        String command =
                Map.of("aen-stream:encoder", "encode", "aen-stream:trainer", "train")
                        .get(image.toString());
        if (command != null) assertThat(args).as("%s runs in %s", who, image).contains(command);
    }
}
