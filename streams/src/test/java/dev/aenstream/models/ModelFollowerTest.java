package dev.aenstream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.sae.runtime.Device;
import org.junit.jupiter.api.Test;

/** A follower does nothing until started, and a broker that is away never fails its start. */
class ModelFollowerTest {
    @Test
    void constructingStartsNothingAndStartingWaitsOutAnAbsentBroker() throws Exception {
        // Nothing listens on port 1: the first connection fails on the follower's thread.
        ModelFollower follower =
                new ModelFollower(
                        KafkaConnection.of("localhost:1"),
                        Topics.defaults(),
                        new SaeRegistry(),
                        null,
                        8,
                        ModelTrust.anyVersion(),
                        Device.CPU,
                        1);
        try {
            assertThat(followerThreads()).as("before start").isZero();
            assertThat(follower.start()).isSameAs(follower);
            follower.start(); // a second start changes nothing
            assertThat(followerThreads()).as("after start").isEqualTo(1);
        } finally {
            follower.close();
        }
        assertThat(followerThreads()).as("after close").isZero();
    }

    private static long followerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("aen-model-follower"))
                .count();
    }
}
