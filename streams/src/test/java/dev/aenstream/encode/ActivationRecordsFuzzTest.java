package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.fuzz.Fuzzer;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What reaches the encoder from the activations topic, whatever its bytes: admitted with rows that
 * fit what the record declares, or refused with a RejectedRecord (a dead letter with its reason).
 */
class ActivationRecordsFuzzTest {
    private static final int N = 8;

    @Test
    void everyRecordIsAdmittedWholeOrRefusedWithAReason() throws Exception {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        List<byte[]> seeds = new ArrayList<>();
        Random random = new Random(5);
        for (int rows : new int[] {1, 3, 16}) {
            float[] x = new float[rows * N];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            seeds.add(serde.toBytes(BadRecords.batch(x, rows, N, "fuzz@1", rows)));
        }
        for (Map.Entry<byte[], ?> bad : BadRecords.of(N).values()) seeds.add(bad.getKey());
        RecordAdmission admission =
                new RecordAdmission(
                        new ActivationCheck(RecordLimits.defaults().maxRecordValues()),
                        new EncodeStats());
        try (SaeEncoder encoder =
                SaeEncoder.open(
                        SaeParameters.initialise(N, 16, 1),
                        new EncoderSpec(4, false),
                        Device.CPU,
                        1)) {
            List<ServingSae> serving = List.of(new ServingSae("fuzz", 1, encoder, "test"));
            Fuzzer.Report report =
                    Fuzzer.run(
                            "activation-records",
                            seeds,
                            input -> {
                                RecordAdmission.Admitted in = admission.admit(input, serving);
                                // What is admitted is what the record declares, and encodes.
                                int rows = in.batch().getRows();
                                if (in.rows().remaining() < (long) rows * N)
                                    throw new AssertionError("admitted fewer values than declared");
                                encoder.encode(in.rows().duplicate().rewind(), rows);
                            },
                            t -> t instanceof RejectedRecord);
            System.out.printf(
                    "fuzz %s: %,d inputs, %,d accepted, %,d refused%n",
                    report.name(), report.inputs(), report.accepted(), report.refused());
            assertThat(report.accepted()).isPositive();
            assertThat(report.refused()).isPositive();
        }
    }
}
