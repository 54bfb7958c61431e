package dev.aenstream.avro;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How every aen client reaches Kafka: the bootstrap servers and the user's client properties
 * ({@code --command-config}, {@code --command-property}: security, timeouts, anything a Kafka
 * client takes). The one place producers, consumers, admin clients and Kafka Streams get their
 * settings from. {@link #toString} hides secret values, so a connection can be logged.
 *
 * @param bootstrapServers host:port list of the cluster
 * @param properties client properties applied to every client, beside each client's own settings
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> properties) {
    /** What a log, summary or page shows in place of a secret value. */
    public static final String HIDDEN = "[hidden]";

    /**
     * Keys whose values are secrets: passwords, JAAS configurations (which hold them), private keys
     * and any secret, token or credential a SASL mechanism takes.
     */
    private static final Pattern SECRET_KEY =
            Pattern.compile("(?i).*(password|jaas|secret|token|credential|user\\.info).*|.*\\.key");

    public KafkaConnection {
        if (bootstrapServers == null || bootstrapServers.isBlank())
            throw new IllegalArgumentException("bootstrap servers must be given");
        properties = Collections.unmodifiableMap(new TreeMap<>(properties));
    }

    /** A connection with no client properties: a plaintext cluster. */
    public static KafkaConnection of(String bootstrapServers) {
        return new KafkaConnection(bootstrapServers, Map.of());
    }

    /**
     * Reads a Java properties file of client settings, as Kafka's tools take with {@code
     * --command-config}.
     */
    public static Map<String, String> readProperties(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read client properties from " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) out.put(key, p.getProperty(key).strip());
        return out;
    }

    /** Parses {@code KEY=VALUE}, as given to {@code --command-property}. */
    public static Map.Entry<String, String> parseProperty(String keyValue) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0)
            // The argument is not echoed: it may hold a secret.
            throw new IllegalArgumentException(
                    "a client property is KEY=VALUE, given without a key or without '='");
        return Map.entry(keyValue.substring(0, eq).strip(), keyValue.substring(eq + 1).strip());
    }

    /** This connection with {@code more} properties on top of its own. */
    public KafkaConnection with(Map<String, String> more) {
        Map<String, String> merged = new LinkedHashMap<>(properties);
        merged.putAll(more);
        return new KafkaConnection(bootstrapServers, merged);
    }

    /**
     * The settings of one client: the user's properties, then {@code own} (what the component needs
     * to work as it means to: serializers, idempotence, isolation level, group; those win), then
     * the bootstrap servers.
     */
    public Properties client(Map<String, ?> own) {
        Properties p = client();
        p.putAll(own);
        return p;
    }

    /** The user's properties and the bootstrap servers: what every client starts from. */
    public Properties client() {
        Properties p = new Properties();
        p.putAll(properties);
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }

    /** The security protocol the clients speak: PLAINTEXT unless a property says otherwise. */
    public String securityProtocol() {
        return properties.getOrDefault("security.protocol", "PLAINTEXT");
    }

    /** Whether {@code key} names a secret whose value must never be shown. */
    public static boolean isSecret(String key) {
        return SECRET_KEY.matcher(key).matches();
    }

    /** The properties with secret values replaced by {@link #HIDDEN}. */
    public Map<String, String> redacted() {
        Map<String, String> out = new TreeMap<>();
        properties.forEach((k, v) -> out.put(k, isSecret(k) ? HIDDEN : v));
        return out;
    }

    /** The bootstrap servers and the properties, secrets hidden. */
    @Override
    public String toString() {
        if (properties.isEmpty()) return bootstrapServers;
        StringJoiner j = new StringJoiner(", ", bootstrapServers + " (", ")");
        redacted().forEach((k, v) -> j.add(k + "=" + v));
        return j.toString();
    }
}
