package dev.aenstream.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaConnectionTest {
    private static final String SECRET = "s3cret-Value";
    private static final String JAAS =
            "org.apache.kafka.common.security.scram.ScramLoginModule required"
                    + " username=\"trainer\" password=\""
                    + SECRET
                    + "\";";

    @Test
    void everyClientGetsTheUserPropertiesAndItsOwnSettingsWin() {
        KafkaConnection c =
                new KafkaConnection(
                        "broker:9093",
                        Map.of(
                                "security.protocol", "SASL_SSL",
                                "isolation.level", "read_uncommitted",
                                "request.timeout.ms", "5000"));
        Properties p = c.client(Map.of("isolation.level", "read_committed"));
        assertThat(p)
                .containsEntry("bootstrap.servers", "broker:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("request.timeout.ms", "5000")
                .as("what the component needs to be correct wins")
                .containsEntry("isolation.level", "read_committed");
        assertThat(c.securityProtocol()).isEqualTo("SASL_SSL");
        assertThat(KafkaConnection.of("b:1").securityProtocol()).isEqualTo("PLAINTEXT");
    }

    @Test
    void secretsNeverShowInItsText() {
        KafkaConnection c =
                new KafkaConnection(
                        "broker:9093",
                        Map.of(
                                "sasl.jaas.config", JAAS,
                                "ssl.keystore.password", SECRET,
                                "ssl.key.password", SECRET,
                                "ssl.keystore.key", SECRET,
                                "sasl.oauthbearer.client.credentials.client.secret", SECRET,
                                "sasl.mechanism", "SCRAM-SHA-512"));
        assertThat(c.toString())
                .doesNotContain(SECRET)
                .contains("sasl.mechanism=SCRAM-SHA-512")
                .contains("sasl.jaas.config=" + KafkaConnection.HIDDEN);
        assertThat(c.redacted().values()).doesNotContain(SECRET, JAAS);
        assertThat(KafkaConnection.isSecret("ssl.truststore.location")).isFalse();
        assertThat(KafkaConnection.isSecret("security.protocol")).isFalse();
    }

    @Test
    void readsAPropertiesFileAndKeyValueArguments(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(
                file,
                "# a comment\nsecurity.protocol = SASL_SSL\nsasl.jaas.config="
                        + JAAS.replace("\"", "\\\"")
                        + "\n");
        Map<String, String> p = KafkaConnection.readProperties(file);
        assertThat(p).containsEntry("security.protocol", "SASL_SSL");
        assertThat(p.get("sasl.jaas.config")).isEqualTo(JAAS);
        assertThat(KafkaConnection.parseProperty("acks = all")).isEqualTo(Map.entry("acks", "all"));
        assertThat(KafkaConnection.parseProperty("sasl.jaas.config=a=b"))
                .isEqualTo(Map.entry("sasl.jaas.config", "a=b"));
        assertThatThrownBy(() -> KafkaConnection.parseProperty("password" + SECRET))
                .hasMessageContaining("KEY=VALUE")
                .hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> KafkaConnection.readProperties(dir.resolve("missing")))
                .hasMessageContaining("cannot read client properties");
    }
}
