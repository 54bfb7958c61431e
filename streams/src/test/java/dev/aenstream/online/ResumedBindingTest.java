package dev.aenstream.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SourceBinding;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer resumed from its checkpoint on a topic that carries two hooks learns on from the hook
 * it learned from, whichever record comes first: the binding is in the manifest. On main a resumed
 * trainer with no --hook-point bound to the first record's hook, and could switch hooks silently. A
 * binding asked for now that contradicts the checkpoint's is refused with the remedy.
 */
class ResumedBindingTest {
    private static final int N = 4;
    @TempDir Path dir;

    @Test
    void aResumedTrainerLearnsOnFromTheHookItLearnedFrom() throws Exception {
        ActivationIntake first = new ActivationIntake(N, false, SourceBinding.ANY, null);
        assertThat(first.take(record("gpt2", "blocks.3", 0))).isEqualTo(2);
        manifest(first).write(dir);

        ActivationIntake resumed = new ActivationIntake(N, false, SourceBinding.ANY, null);
        resumed.restore(TrainerManifest.read(dir));
        assertThat(resumed.take(record("gpt2", "blocks.5", 1))).as("another hook").isZero();
        assertThat(resumed.take(record("gpt2", "blocks.3", 2))).isEqualTo(2);
        assertThat(resumed.source()).isEqualTo(new SourceBinding("gpt2", "blocks.3"));

        ActivationIntake contradicting =
                new ActivationIntake(N, false, new SourceBinding(null, "blocks.5"), null);
        assertThatThrownBy(() -> contradicting.restore(TrainerManifest.read(dir)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("learned from blocks.3")
                .hasMessageContaining("--hook-point asks for blocks.5")
                .hasMessageContaining("--checkpoint-dir");
        // A manifest from before the binding was kept binds nothing.
        TrainerManifest old =
                new TrainerManifest(Map.of(), null, 0, 0, Map.of(), 0, 0, 0, null, null);
        ActivationIntake fromOld = new ActivationIntake(N, false, SourceBinding.ANY, null);
        fromOld.restore(old);
        assertThat(fromOld.take(record("gpt2", "blocks.5", 3))).isEqualTo(2);
    }

    private static TrainerManifest manifest(ActivationIntake intake) {
        return new TrainerManifest(
                Map.of(),
                null,
                0,
                1,
                Map.of(),
                intake.rowsRead(),
                0,
                intake.rowChecksum(),
                intake.source().sourceModel(),
                intake.source().hookPoint());
    }

    private static ActivationSource.Arrival record(String model, String hook, long seq) {
        float[] x = new float[2 * N];
        ActivationBatch a =
                ActivationBatch.newBuilder()
                        .setSourceModel(model)
                        .setHookPoint(hook)
                        .setRows(2)
                        .setN(N)
                        .setDtype(Dtype.FLOAT32)
                        .setNormalisation(Normalisation.NONE)
                        .setProducerId("p")
                        .setSequence(seq)
                        .setPayload(Matrices.encode(x, 0, 2, N, Dtype.FLOAT32))
                        .setTimestampMs(0)
                        .build();
        return new ActivationSource.Arrival(
                "t", 0, seq, null, new AvroSerde<>(ActivationBatch.class).toBytes(a), 0);
    }
}
