package dev.aenstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Topics;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedBrokerIT {
    @TempDir Path dataDir;

    @Test
    void aBrokerOnAChosenPortKeepsItsTopicsAcrossRestartsOfItsDataDirectory() throws Exception {
        int port = EmbeddedBroker.freePort();
        Topics topics = new Topics("restart.");
        try (EmbeddedBroker broker = EmbeddedBroker.start(port, dataDir)) {
            assertThat(broker.bootstrapServers()).isEqualTo("localhost:" + port);
            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                assertThat(TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker()))
                        .hasSize(topics.all().size());
            }
        }
        try (EmbeddedBroker broker = EmbeddedBroker.start(port, dataDir);
                Admin admin =
                        Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            assertThat(admin.listTopics().names().get()).containsAll(topics.all());
            assertThat(TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker()))
                    .isEmpty();
            var models =
                    TopicProvisioner.describe(admin, java.util.List.of(topics.models()))
                            .get(topics.models());
            assertThat(models.partitions()).hasSize(1);
        }
    }
}
