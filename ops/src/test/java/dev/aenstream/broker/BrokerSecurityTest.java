package dev.aenstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The credentials the nodes of one quorum share. */
class BrokerSecurityTest {
    @TempDir Path dir;

    @Test
    void nodesStartingAtOnceAgreeOnOneAuthorityAndOneSetOfPasswords() throws Exception {
        Path shared = dir.resolve("security");
        int nodes = 3;
        CyclicBarrier together = new CyclicBarrier(nodes);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            List<Future<BrokerSecurity>> made = new ArrayList<>();
            for (int i = 0; i < nodes; i++)
                made.add(
                        pool.submit(
                                () -> {
                                    together.await();
                                    return BrokerSecurity.in(shared);
                                }));
            Set<String> authorities = new HashSet<>();
            Set<String> logins = new HashSet<>();
            for (Future<BrokerSecurity> f : made) {
                BrokerSecurity s = f.get();
                authorities.add(Files.readString(s.caCertificate()));
                logins.add(s.clientProperties("trainer").get("sasl.jaas.config"));
            }
            assertThat(authorities).hasSize(1);
            assertThat(logins).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("the drafts of the nodes that lost the race are gone")
                    .containsExactly("security");
        }
    }
}
