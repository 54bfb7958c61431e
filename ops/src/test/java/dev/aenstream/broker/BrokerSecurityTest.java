package dev.aenstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.testkit.AtOnce;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The credentials the nodes of one quorum share. */
class BrokerSecurityTest {
    @TempDir Path dir;

    @Test
    void nodesStartingAtOnceAgreeOnOneAuthorityAndOneSetOfPasswords() throws Exception {
        Path shared = dir.resolve("security");
        Set<String> authorities = new HashSet<>();
        Set<String> logins = new HashSet<>();
        for (BrokerSecurity s : AtOnce.run(3, () -> BrokerSecurity.in(shared))) {
            authorities.add(Files.readString(s.caCertificate()));
            logins.add(s.clientProperties("trainer").get("sasl.jaas.config"));
        }
        assertThat(authorities).hasSize(1);
        assertThat(logins).hasSize(1);
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("the drafts of the nodes that lost the race are gone")
                    .containsExactly("security");
        }
    }
}
