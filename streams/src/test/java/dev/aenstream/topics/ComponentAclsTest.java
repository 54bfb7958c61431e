package dev.aenstream.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class ComponentAclsTest {
    private final Topics topics = Topics.defaults();
    private final ComponentAcls acls =
            new ComponentAcls(
                    topics,
                    ComponentAcls.principals(Map.of("encoder", "User:svc-encoder")),
                    "aen-encode",
                    "aen-trainer");

    @Test
    void onlyTheTrainerWritesModelsAndOnlyTheProducerWritesActivations() {
        assertThat(writers(topics.models())).containsExactly("User:trainer");
        assertThat(writers(topics.activations())).containsExactly("User:producer");
        assertThat(writers(topics.codes())).containsExactly("User:svc-encoder");
        assertThat(operations("User:dashboard"))
                .as("the dashboard only reads")
                .containsOnly(AclOperation.READ, AclOperation.DESCRIBE);
    }

    @Test
    void kafkaStreamsResourcesAreGrantedByTheApplicationIdPrefix() {
        assertThat(acls.bindings())
                .filteredOn(b -> b.entry().principal().equals("User:svc-encoder"))
                .filteredOn(b -> b.pattern().patternType() == PatternType.PREFIXED)
                .extracting(b -> b.pattern().resourceType())
                .containsExactlyInAnyOrder(
                        ResourceType.TOPIC,
                        ResourceType.GROUP,
                        ResourceType.TRANSACTIONAL_ID,
                        ResourceType.TRANSACTIONAL_ID);
        assertThat(acls.bindings())
                .filteredOn(b -> b.pattern().patternType() == PatternType.PREFIXED)
                .extracting(b -> b.pattern().name())
                .containsOnly("aen-encode", "aen-trainer", ComponentAcls.READER_GROUP_PREFIX);
        // The readers' groups are the dashboard's, to read in and nothing else.
        assertThat(acls.bindings())
                .filteredOn(b -> b.pattern().name().equals(ComponentAcls.READER_GROUP_PREFIX))
                .singleElement()
                .satisfies(
                        b -> {
                            assertThat(b.pattern().resourceType()).isEqualTo(ResourceType.GROUP);
                            assertThat(b.entry().operation()).isEqualTo(AclOperation.READ);
                            assertThat(b.entry().principal()).endsWith("dashboard");
                        });
    }

    @Test
    void unknownComponentsAreRefused() {
        assertThatThrownBy(() -> ComponentAcls.principals(Map.of("encoders", "User:x")))
                .hasMessageContaining("unknown component 'encoders'");
        assertThat(ComponentAcls.principals(Map.of()))
                .containsEntry("producer", "User:producer")
                .hasSize(ComponentAcls.COMPONENTS.size());
    }

    private List<String> writers(String topic) {
        return acls.bindings().stream()
                .filter(b -> b.pattern().name().equals(topic))
                .filter(b -> b.entry().operation() == AclOperation.WRITE)
                .map(b -> b.entry().principal())
                .toList();
    }

    private List<AclOperation> operations(String principal) {
        return acls.bindings().stream()
                .filter(b -> b.entry().principal().equals(principal))
                .map(AclBinding::entry)
                .map(e -> e.operation())
                .toList();
    }
}
