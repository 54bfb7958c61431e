package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Topics;
import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.produce.replay.ActivationFile;
import dev.aenstream.testkit.TopicReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Replay of files written by fixtures/replay.py (NumPy, PyTorch) reaches the topic bit for bit. */
class ReplayIT {
    @TempDir static Path dir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedBroker.start(0, dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static Path fixture(String name) throws Exception {
        return Paths.get(ReplayIT.class.getResource("/fixtures/" + name).toURI());
    }

    @ParameterizedTest
    @CsvSource({
        "acts_f32.npy,,15,FLOAT32,1",
        "acts_f16.npy,,12,FLOAT16,2",
        "acts_bf16.safetensors,resid,9,BFLOAT16,3"
    })
    void replayedRowsReachTheTopicBitForBit(
            String file, String tensor, int rows, Dtype dtype, int run) throws Exception {
        Topics topics = new Topics("replay" + run + ".");
        String[] args =
                tensor == null
                        ? new String[] {
                            "produce",
                            "replay",
                            "--file",
                            fixture(file).toString(),
                            "--rows-per-record",
                            "4",
                            "--loop",
                            "2",
                            "--bootstrap-servers",
                            broker.bootstrapServers(),
                            "--topic-prefix",
                            topics.prefix(),
                            "--producer-id",
                            "r"
                        }
                        : new String[] {
                            "produce",
                            "replay",
                            "--file",
                            fixture(file).toString(),
                            "--tensor",
                            tensor,
                            "--rows-per-record",
                            "4",
                            "--loop",
                            "2",
                            "--bootstrap-servers",
                            broker.bootstrapServers(),
                            "--topic-prefix",
                            topics.prefix(),
                            "--producer-id",
                            "r"
                        };
        assertThat(Aen.commandLine(args).execute(args)).isZero();

        byte[] expected =
                Files.readAllBytes(fixture(file.substring(0, file.lastIndexOf('.')) + ".bin"));
        Map<Long, ActivationBatch> bySequence = new TreeMap<>();
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        int records = 2 * ((rows + 3) / 4);
        for (var r :
                TopicReader.read(
                        broker.bootstrapServers(),
                        topics.activations(),
                        false,
                        records,
                        Duration.ofSeconds(30),
                        Duration.ZERO)) {
            ActivationBatch b = serde.fromBytes(r.value());
            bySequence.put(b.getSequence(), b);
        }
        ByteArrayOutputStream replayed = new ByteArrayOutputStream();
        long rowCount = 0;
        for (ActivationBatch b : bySequence.values()) {
            assertThat(b.getDtype()).isEqualTo(dtype);
            assertThat(b.getN()).isEqualTo(8);
            byte[] payload = new byte[b.getPayload().remaining()];
            b.getPayload().duplicate().get(payload);
            replayed.write(payload);
            rowCount += b.getRows();
        }
        assertThat(rowCount).isEqualTo(2L * rows);
        byte[] twice = new byte[expected.length * 2];
        System.arraycopy(expected, 0, twice, 0, expected.length);
        System.arraycopy(expected, 0, twice, expected.length, expected.length);
        assertThat(replayed.toByteArray()).as("two passes of the file's bytes").isEqualTo(twice);
    }

    @Test
    void filesThatCannotBeReplayedSayWhy() throws Exception {
        assertThatThrownBy(() -> ActivationFile.open(fixture("acts_bf16.safetensors"), null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("--tensor");
        Path bad = dir.resolve("bad.npy");
        Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertThatThrownBy(() -> ActivationFile.open(bad, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a .npy");
        assertThatThrownBy(() -> ActivationFile.open(dir.resolve("x.csv"), null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(".npy or .safetensors");
    }
}
