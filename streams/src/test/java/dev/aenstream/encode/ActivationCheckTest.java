package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Dtype;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Each way an activation record can be unfit, named by the reason it is dead-lettered with. */
class ActivationCheckTest {
    private static final int N = 8;

    private final ActivationCheck check = new ActivationCheck(1_000);
    private final AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);

    @Test
    void aFitRecordPassesAndSaysItsSize() throws Exception {
        ActivationBatch a = check.decode(serde.toBytes(batch(3)));
        check.width(a, N, () -> "the SAE");
        assertThat(check.shape(a)).isEqualTo(3 * N);
    }

    @Test
    void bytesThatDoNotDecodeAreMalformedOrOfAnUnknownSchema() {
        assertThatThrownBy(() -> check.decode(new byte[0]))
                .isInstanceOfSatisfying(
                        RejectedRecord.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.MALFORMED_BYTES));
        assertThatThrownBy(() -> check.decode("not avro".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        RejectedRecord.class,
                        e ->
                                assertThat(e.reason())
                                        .isIn(
                                                DeadLetterReason.MALFORMED_BYTES,
                                                DeadLetterReason.UNKNOWN_SCHEMA));
        byte[] unknown = serde.toBytes(batch(1));
        // The single-object header's fingerprint (bytes 2..9) of a schema this build never had.
        Arrays.fill(unknown, 2, 10, (byte) 0x5a);
        assertThatThrownBy(() -> check.decode(unknown))
                .isInstanceOfSatisfying(
                        RejectedRecord.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA));
    }

    @Test
    void rowsOfAnotherWidthNameWhoExpectedWhat() {
        assertThatThrownBy(() -> check.width(batch(2), N + 1, () -> "SAE big v3"))
                .isInstanceOfSatisfying(
                        RejectedRecord.class,
                        e -> {
                            assertThat(e.reason()).isEqualTo(DeadLetterReason.WRONG_WIDTH);
                            assertThat(e.getMessage())
                                    .contains("n=" + N)
                                    .contains("SAE big v3 expects n=" + (N + 1));
                        });
    }

    @Test
    void aDeclaredShapeIsCheckedAgainstTheLimitAndThePayload() {
        ActivationBatch none = batch(1);
        none.setRows(0);
        ActivationBatch huge = batch(1);
        huge.setRows(Integer.MAX_VALUE);
        ActivationBatch lying = batch(1);
        lying.setRows(2);
        assertThat(reason(none)).isEqualTo(DeadLetterReason.MALFORMED_BYTES);
        assertThat(reason(huge)).isEqualTo(DeadLetterReason.TOO_LARGE);
        assertThat(reason(lying)).isEqualTo(DeadLetterReason.MALFORMED_BYTES);
        assertThatThrownBy(() -> check.shape(lying)).hasMessageContaining("payload has 32 bytes");
    }

    private DeadLetterReason reason(ActivationBatch a) {
        try {
            check.shape(a);
            return null;
        } catch (RejectedRecord e) {
            return e.reason();
        }
    }

    private static ActivationBatch batch(int rows) {
        float[] x = new float[rows * N];
        Arrays.fill(x, 0.5f);
        ActivationBatch a = BadRecords.batch(x, rows, N, "check", 0);
        assertThat(a.getDtype()).isEqualTo(Dtype.FLOAT32);
        return a;
    }
}
