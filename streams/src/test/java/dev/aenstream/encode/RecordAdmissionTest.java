package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The encoder's admission stage alone: what it lets through, and why it refuses the rest. */
class RecordAdmissionTest {
    private static final int N = 8;
    private final EncodeStats stats = new EncodeStats();
    private final RecordAdmission admission =
            new RecordAdmission(
                    new ActivationCheck(RecordLimits.defaults().maxRecordValues()), stats);
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
    private SaeEncoder encoder;
    private ServingSae sae;

    @BeforeEach
    void open() throws Exception {
        encoder =
                SaeEncoder.open(
                        SaeParameters.initialise(N, 16, 1),
                        new EncoderSpec(4, false),
                        Device.CPU,
                        1);
        sae = new ServingSae("s", 1, encoder, "test");
    }

    @AfterEach
    void close() throws Exception {
        encoder.close();
    }

    @Test
    void aGoodRecordComesThroughWithItsRowsAndSaes() throws Exception {
        float[] x = new float[3 * N];
        for (int i = 0; i < x.length; i++) x[i] = i;
        RecordAdmission.Admitted in =
                admission.admit(serde.toBytes(BadRecords.batch(x, 3, N, "p", 5)), List.of(sae));
        assertThat(in.saes()).containsExactly(sae);
        assertThat(in.batch().getSequence()).isEqualTo(5);
        float[] rows = new float[3 * N];
        in.rows().duplicate().get(rows);
        assertThat(rows).containsExactly(x);
    }

    @Test
    void everyBadRecordIsRefusedWithItsReason() throws Exception {
        for (Map.Entry<String, Map.Entry<byte[], DeadLetterReason>> bad :
                BadRecords.of(N).entrySet()) {
            assertThatThrownBy(() -> admission.admit(bad.getValue().getKey(), List.of(sae)))
                    .as(bad.getKey())
                    .isInstanceOfSatisfying(
                            RejectedRecord.class,
                            e -> assertThat(e.reason()).isEqualTo(bad.getValue().getValue()));
        }
    }

    @Test
    void aRecordNoServedSaeTakesIsRefusedNamingWhatIsServed() throws Exception {
        byte[] record = serde.toBytes(BadRecords.batch(new float[N], 1, N, "p", 0));
        assertThatThrownBy(() -> admission.admit(record, List.of()))
                .isInstanceOfSatisfying(
                        RejectedRecord.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.PROCESSING_ERROR))
                .hasMessageContaining("no SAE is being served");
        ServingSae elsewhere =
                sae.withSource(new dev.aenstream.avro.SourceBinding("other-model", "h"));
        assertThatThrownBy(() -> admission.admit(record, List.of(elsewhere)))
                .isInstanceOfSatisfying(
                        RejectedRecord.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.NO_MATCHING_SAE))
                .hasMessageContaining("served: s (");
        assertThat(stats.mismatched()).isEqualTo(1);
    }
}
