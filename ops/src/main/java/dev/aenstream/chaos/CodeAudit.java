package dev.aenstream.chaos;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureCodes;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.encode.CodesRecords;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.topics.TopicSnapshot;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The soak's codes recomputed: every row the producer sent, encoded in double precision by the
 * version its codes name, held against what the encoders committed; and per version the rows and
 * per-feature fires the codes hold, which the statistics must equal.
 */
final class CodeAudit {
    /** How far a served code may be from the recomputation, relative to 1 + its size. */
    static final double TOLERANCE = 1e-4;

    /** Rows and per-feature fires of one version's codes; {@code cut}: some row was truncated. */
    static final class Tally {
        long rows;
        long[] fires;
        boolean cut;
    }

    private final Map<String, Tally> tallies = new HashMap<>();
    long rowsChecked;
    long rowsWrong;
    long recordsOfUntrustedVersions;
    double maxError;
    String firstWrong;

    /** Reads the producer's rows and the codes topic, checking every codes record of them. */
    static CodeAudit run(
            KafkaConnection kafka,
            String activations,
            String codes,
            String producerId,
            PublishedVersions versions) {
        Map<Long, float[]> rows = rows(kafka, activations, producerId);
        CodeAudit audit = new CodeAudit();
        AvroSerde<FeatureCodes> serde = new AvroSerde<>(FeatureCodes.class);
        TopicSnapshot.forEach(
                kafka,
                codes,
                r -> {
                    FeatureCodes c = serde.fromBytes(r.value());
                    if (!producerId.equals(c.getProducerId())) return;
                    float[] x = rows.get(c.getSequence());
                    PublishedVersions.Trusted v = versions.trusted(c.getSaeId(), c.getVersion());
                    if (v == null) audit.recordsOfUntrustedVersions++;
                    else if (x == null)
                        audit.wrong(
                                c,
                                c.getFirstRow(),
                                "its batch is not on the topic",
                                0,
                                c.getRows());
                    else audit.check(c, x, v);
                });
        return audit;
    }

    /** The producer's batches by sequence number, as floats. */
    private static Map<Long, float[]> rows(KafkaConnection kafka, String topic, String producerId) {
        AvroSerde<ActivationBatch> serde = new AvroSerde<>(ActivationBatch.class);
        Map<Long, float[]> rows = new HashMap<>();
        TopicSnapshot.forEach(
                kafka,
                topic,
                r -> {
                    ActivationBatch b = serde.fromBytes(r.value());
                    if (!producerId.equals(b.getProducerId())) return;
                    float[] x = new float[b.getRows() * b.getN()];
                    Matrices.decode(
                            b.getPayload(),
                            b.getDtype(),
                            b.getRows(),
                            b.getN(),
                            FloatBuffer.wrap(x));
                    rows.put(b.getSequence(), x);
                });
        return rows;
    }

    private void check(FeatureCodes record, float[] x, PublishedVersions.Trusted v) {
        if (v.spec().activation() != Activation.RELU)
            throw new IllegalStateException(
                    "the soak recomputes ReLU codes; "
                            + record.getSaeId()
                            + " is "
                            + v.spec().activation().label());
        SparseCodes codes = CodesRecords.fromRecord(record);
        SaeParameters p = v.params();
        Tally tally = tallies.computeIfAbsent(key(record), k -> new Tally());
        if (tally.fires == null) tally.fires = new long[p.d()];
        for (int r = 0; r < codes.rows(); r++) {
            int row = record.getFirstRow() + r;
            double[] h = encode(p, x, row * p.n(), v.spec().normalise());
            int from = codes.rowOffsets()[r], to = codes.rowOffsets()[r + 1];
            boolean truncated = codes.activeCounts()[r] > to - from;
            tally.rows++;
            tally.cut |= truncated;
            double[] served = new double[p.d()];
            boolean[] present = new boolean[p.d()];
            double smallestServed = Double.MAX_VALUE;
            for (int e = from; e < to; e++) {
                int j = codes.indices()[e];
                served[j] = codes.values()[e];
                present[j] = true;
                smallestServed = Math.min(smallestServed, served[j]);
                if (served[j] > 0) tally.fires[j]++;
            }
            double worst = 0;
            for (int j = 0; j < p.d(); j++) {
                // A truncated row leaves out features below its cut: only one above it is missing.
                double expected =
                        present[j] || !truncated || h[j] > smallestServed + TOLERANCE ? h[j] : 0;
                worst = Math.max(worst, Math.abs(expected - served[j]) / (1 + Math.abs(h[j])));
            }
            rowsChecked++;
            maxError = Math.max(maxError, worst);
            if (worst > TOLERANCE)
                wrong(record, row, "its codes differ from the recomputation", worst, 1);
        }
    }

    private void wrong(FeatureCodes c, int row, String why, double error, int rows) {
        rowsWrong += rows;
        if (firstWrong == null)
            firstWrong =
                    String.format(
                            "batch %d row %d of %s v%d: %s (%.3g)",
                            c.getSequence(), row, c.getSaeId(), c.getVersion(), why, error);
    }

    /** The codes' rows and fires per version ({@code saeId/vN}). */
    Map<String, Tally> tallies() {
        return tallies;
    }

    static String key(FeatureCodes c) {
        return c.getSaeId() + "/v" + c.getVersion();
    }

    /**
     * {@code h = ReLU(W_enc (x * scale - b_dec) + b_enc)} of one row in double precision, as
     * docs/aen-sae.md writes it.
     */
    static double[] encode(SaeParameters p, float[] x, int offset, boolean normalise) {
        int n = p.n();
        double scale = normalise ? Matrices.unitScale(x, offset, n) : 1;
        double[] h = new double[p.d()];
        for (int j = 0; j < p.d(); j++) {
            double pre = p.bEnc()[j];
            for (int i = 0; i < n; i++)
                pre += (double) p.wEnc()[j * n + i] * (x[offset + i] * scale - p.bDec()[i]);
            h[j] = Math.max(0, pre);
        }
        return h;
    }
}
