package dev.aenstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.topics.TopicProvisioner;
import dev.aenstream.topics.TopicSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Llama-3.1-8B-size SAE (n = 4,096, D = 131,072; each weight matrix 2 GiB, one byte more than a
 * Java array or buffer of bytes holds, the version 4.3 GB) is published to a real broker, followed,
 * loaded and served by an encoder's follower, and its codes for a few rows equal a direct
 * computation. About two minutes here. The encoder's Kafka Streams application at this width
 * (statistics in blocks under the record limit, contexts, nothing dead-lettered) is
 * WideDictionaryIT's (D = 131,072 with a small n: the records that grow with D are the same), and
 * {@code aen bench scale} runs it at full size; here it would add a minute to CI for nothing new.
 */
class LargeModelIT {
    @TempDir Path dir;

    @Test
    void aVersionLargerThanTwoGibTravelsLoadsAndServesExactCodes() throws Exception {
        Topics topics = new Topics("large.");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("kafka"));
                Admin admin = Admin.create(broker.adminConnection().client())) {
            TopicProvisioner.ensure(admin, topics, TopicSettings.singleBroker());
            SyntheticSae sae = new SyntheticSae(4096, 131_072, 42);
            ScaleFigures r =
                    ScaleBench.run(
                            broker.adminConnection(),
                            topics,
                            "llama-l16",
                            sae,
                            new ScaleConfig(
                                    32,
                                    16,
                                    1,
                                    Device.CPU,
                                    0,
                                    7,
                                    false,
                                    WeightPrecision.FLOAT32,
                                    1,
                                    false),
                            new PrintStream(System.out, true));
            assertThat(r.largestTensorBytes()).isGreaterThan(Integer.MAX_VALUE);
            assertThat(r.modelBytes()).isGreaterThan(2 * (long) Integer.MAX_VALUE);
            assertThat(r.checkedRows()).isEqualTo(ScaleBench.CHECKED_ROWS);
            assertThat(r.maxCodeError()).isLessThanOrEqualTo(ScaleBench.CODE_TOLERANCE);
            assertThat(r.encodeRowsPerS()).isPositive();
            assertThat(r.application()).as("not run here").isNull();
        }
    }
}
