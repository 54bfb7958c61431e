package dev.aenstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A port handed out for one listener is never handed out again in the same JVM. On main the
 * operating system's next free port was returned as is: a closed socket's port came back for the
 * controller listener of the same broker ("Each listener must have a different port", CI of stop
 * 38), and this test, run on main, saw repeats within a few hundred calls.
 */
class FreePortTest {
    @Test
    void portsHandedOutAreNeverHandedOutAgain() throws Exception {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            assertThat(seen.add(EmbeddedBroker.freePort())).as("call %d", i).isTrue();
        }
    }

    @Test
    void aPortChosenElsewhereIsNotHandedOutForAnotherListener() throws Exception {
        int chosen;
        try (var socket = new java.net.ServerSocket(0)) {
            chosen = socket.getLocalPort();
        }
        EmbeddedBroker.reserve(chosen);
        for (int i = 0; i < 2_000; i++) {
            assertThat(EmbeddedBroker.freePort()).isNotEqualTo(chosen);
        }
    }
}
