package dev.aenstream.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Topics;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.ServingSae;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An encoder node before it encodes: what it serves, and what it refuses to do yet. */
class EncoderNodeTest {
    @TempDir Path state;

    @Test
    void aFixedSaeIsServedAtOnceAndEncodingStartsOnlyWhenAsked() throws Exception {
        EncodeConfig config = EncodeConfig.defaults(new Topics("t."), state);
        try (SaeEncoder encoder =
                        SaeEncoder.open(
                                SaeParameters.initialise(8, 16, 1),
                                new EncoderSpec(4, false),
                                Device.CPU,
                                1);
                EncoderNode node =
                        EncoderNode.serving(
                                KafkaConnection.of("localhost:1"),
                                config,
                                new ServingSae("fixed", 3, encoder, "test"))) {
            assertThat(node.awaitServing(1, Duration.ZERO)).isTrue();
            assertThat(node.awaitServing(2, Duration.ZERO)).isFalse();
            assertThat(node.serving()).extracting(ServingSae::saeId).containsExactly("fixed");
            assertThatThrownBy(node::app).hasMessage("the encoder does not encode yet");
            assertThatThrownBy(node::stats).hasMessage("the encoder does not encode yet");
        }
    }
}
