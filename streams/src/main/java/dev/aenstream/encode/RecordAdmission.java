package dev.aenstream.encode;

import dev.aenstream.avro.ActivationBatch;
import dev.aenstream.avro.DeadLetterReason;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.PayloadException;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.monitor.RowOrigins;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The encoder's first stages: validate a record (its bytes, schema, shape and values), bind it to
 * the served SAEs that take its source, and load its rows. A record that fails any of them is
 * rejected with the reason its dead letter gives.
 */
final class RecordAdmission {
    /** A record that passed: its batch, the origin of each row, the SAEs bound to it, its rows. */
    record Admitted(
            ActivationBatch batch, RowOrigins origins, List<ServingSae> saes, FloatBuffer rows) {}

    private final ActivationCheck check;
    private final EncodeStats stats;
    private final Timer loadMeter =
            Timer.builder("aen.encode.load")
                    .description(
                            "Time to decode and check one activation record's rows, before"
                                    + " encoding")
                    .register(Metrics.globalRegistry);

    /** Reused native-order input buffer, grown to the largest batch seen. */
    private FloatBuffer rows = FloatBuffer.allocate(0);

    RecordAdmission(ActivationCheck check, EncodeStats stats) {
        this.check = check;
        this.stats = stats;
    }

    /** Validates, binds and loads {@code value}; the rows stay valid until the next record. */
    Admitted admit(byte[] value, List<ServingSae> serving) throws RejectedRecord {
        ActivationBatch batch = check.decode(value);
        RowOrigins origins = origins(batch);
        List<ServingSae> saes = bound(serving, batch);
        long start = System.nanoTime();
        FloatBuffer x = load(batch, saes);
        loadMeter.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return new Admitted(batch, origins, saes, x);
    }

    private static RowOrigins origins(ActivationBatch batch) throws RejectedRecord {
        try {
            return RowOrigins.of(batch);
        } catch (IllegalArgumentException e) {
            throw new RejectedRecord(
                    DeadLetterReason.MALFORMED_BYTES, "token origins: " + e.getMessage());
        }
    }

    /**
     * The served SAEs bound to the batch's source; each that is not is counted. A record no served
     * SAE is bound to is rejected, naming what is served.
     */
    private List<ServingSae> bound(List<ServingSae> serving, ActivationBatch batch)
            throws RejectedRecord {
        if (serving.isEmpty())
            throw new RejectedRecord(DeadLetterReason.PROCESSING_ERROR, "no SAE is being served");
        List<ServingSae> bound = new ArrayList<>(serving.size());
        for (ServingSae sae : serving) {
            if (sae.source().matches(batch)) {
                bound.add(sae);
            } else {
                stats.passedOver();
                Metrics.counter("aen.encode.mismatched", "sae_id", sae.saeId()).increment();
            }
        }
        if (bound.isEmpty()) {
            StringBuilder served = new StringBuilder();
            for (ServingSae sae : serving)
                served.append(served.length() == 0 ? "" : "; ")
                        .append(sae.saeId())
                        .append(" (")
                        .append(sae.source())
                        .append(')');
            throw new RejectedRecord(
                    DeadLetterReason.NO_MATCHING_SAE,
                    "no served SAE takes records of "
                            + SourceBinding.of(batch)
                            + "; served: "
                            + served);
        }
        return bound;
    }

    /** Checks the batch against the bound SAEs and decodes its rows into the reused buffer. */
    private FloatBuffer load(ActivationBatch batch, List<ServingSae> saes) throws RejectedRecord {
        for (ServingSae sae : saes)
            check.width(
                    batch, sae.encoder().n(), () -> "SAE " + sae.saeId() + " v" + sae.version());
        int size = check.shape(batch);
        int n = batch.getN();
        int count = batch.getRows();
        if (rows.capacity() < size) {
            rows =
                    ByteBuffer.allocateDirect(size * 4)
                            .order(ByteOrder.nativeOrder())
                            .asFloatBuffer();
        }
        FloatBuffer x = rows.duplicate().clear().limit(size);
        try {
            Matrices.decode(batch.getPayload(), batch.getDtype(), count, n, x.duplicate());
        } catch (PayloadException e) {
            throw new RejectedRecord(DeadLetterReason.MALFORMED_BYTES, e.getMessage());
        }
        for (int i = 0; i < size; i++) {
            float v = x.get(i);
            if (!Float.isFinite(v)) {
                throw new RejectedRecord(
                        DeadLetterReason.NON_FINITE,
                        v + " at row " + (i / n) + ", column " + (i % n));
            }
        }
        return x;
    }
}
