package dev.aenstream.models;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Normalisation;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.topics.Producers;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

/** Publishes SAE versions to the models topic: chunks, then the metadata that commits them. */
public final class ModelPublisher implements AutoCloseable {
    /**
     * How long one version's transaction may stay open: a Llama-size version (4.3 GB) takes 22 s on
     * two cores, a third of the client's default minute, and a slower disk or network more; a
     * trainer that dies mid-version is aborted at once when it restarts (same transactional id), so
     * the wait only holds while it is gone.
     */
    static final java.time.Duration TRANSACTION_TIMEOUT = java.time.Duration.ofMinutes(10);

    private final KafkaProducer<byte[], byte[]> producer;
    private final VersionRecords records;
    private final boolean transactional;

    /** A failed transaction whose abort timed out too: aborted before the next one begins. */
    private boolean abortPending;

    /**
     * A version whose commit timed out: the commit may yet complete, so it is retried (never
     * aborted, which the client refuses) before the next version begins.
     */
    private VersionRecords.Publication commitPending;

    /** The newest version this publisher sent per SAE id, whose chunks the next one retires. */
    private final Map<String, SaeModel> published = new java.util.HashMap<>();

    /** Publishes unsigned versions. */
    public ModelPublisher(KafkaConnection connection, String topic) {
        this(connection, topic, null);
    }

    /**
     * Publishes versions signed with {@code signingKeys} ({@link ModelSigning}; null: unsigned).
     */
    public ModelPublisher(KafkaConnection connection, String topic, KeyPair signingKeys) {
        this(connection, topic, signingKeys, null);
    }

    /**
     * Publishes versions signed with {@code signingKeys}, each in a transaction of {@code
     * transactionalId} (null: no transactions). A newer publisher with the same id fences this one:
     * its next {@link #publish} throws {@link Fenced}, so two trainers of the same SAEs never both
     * publish.
     */
    public ModelPublisher(
            KafkaConnection connection, String topic, KeyPair signingKeys, String transactionalId) {
        this.records = new VersionRecords(topic, signingKeys);
        this.transactional = transactionalId != null;
        this.producer =
                transactional
                        ? Producers.transactional(
                                connection,
                                "aen-model-publisher",
                                transactionalId,
                                TRANSACTION_TIMEOUT)
                        : Producers.idempotent(connection, "aen-model-publisher");
    }

    /**
     * Names the newest version already on the topic for its SAE (published before a restart), so
     * that the next version this publisher sends retires its chunks.
     */
    public void replacing(SaeModel newestOnTopic) {
        published.merge(
                newestOnTopic.getSaeId(),
                newestOnTopic,
                (a, b) -> a.getVersion() >= b.getVersion() ? a : b);
    }

    /** Another publisher with the same transactional id took over: this one may not publish. */
    public static final class Fenced extends Exception {
        public Fenced(Throwable cause) {
            super(
                    "another trainer with the same transactional id publishes these SAEs now: "
                            + cause.getMessage(),
                    cause);
        }
    }

    /** What describes a version besides its bytes. */
    public record Version(
            String saeId,
            long version,
            String arch,
            int n,
            int d,
            int kMax,
            Normalisation normalisation,
            Map<String, String> hyperparameters,
            SourceBinding source,
            FeatureLineage lineage) {
        public Version {
            if (source == null) source = SourceBinding.ANY;
        }

        /** A version that takes records of any source. */
        public Version(
                String saeId,
                long version,
                String arch,
                int n,
                int d,
                int kMax,
                Normalisation normalisation,
                Map<String, String> hyperparameters) {
            this(
                    saeId,
                    version,
                    arch,
                    n,
                    d,
                    kMax,
                    normalisation,
                    hyperparameters,
                    SourceBinding.ANY,
                    null);
        }
    }

    /**
     * Which feature of version {@code from} each feature of a version continues ({@code
     * previous[j]}, -1 when new), with the |cos| of their decoder atoms.
     */
    public record FeatureLineage(long from, int[] previous, float[] cos) {}

    /** Publishes a self-contained ONNX model ({@link #publish(Version, OnnxPackage)}). */
    public SaeModel publish(Version v, byte[] onnx)
            throws ExecutionException, InterruptedException, Fenced {
        return publish(v, OnnxPackage.of(onnx));
    }

    /**
     * Sends the version, streamed in chunks as the package writes itself (never whole in memory),
     * and waits until the broker has every record of it; then tombstones the chunks of the version
     * it replaces, so compaction leaves only the newest committed version's chunks (and any newer
     * one's, while it is being published). Returns the version's metadata.
     */
    public SaeModel publish(Version v, OnnxPackage model)
            throws ExecutionException, InterruptedException, Fenced {
        SaeModel replaced = published.get(v.saeId());
        List<ProducerRecord<byte[], byte[]>> retire =
                replaced != null && replaced.getVersion() < v.version()
                        ? records.tombstones(replaced)
                        : List.of();
        VersionRecords.Publication p;
        if (transactional) {
            // The version and the retirement of the one it replaces commit together.
            try {
                finishPending();
                producer.beginTransaction();
                p = send(v, model, r -> producer.send(r));
                for (var r : retire) producer.send(r);
                commit(p);
            } catch (ProducerFencedException | InvalidProducerEpochException e) {
                throw new Fenced(e);
            } catch (org.apache.kafka.common.KafkaException e) {
                if (e instanceof org.apache.kafka.common.errors.TimeoutException
                        && commitPending != null)
                    throw new ExecutionException(
                            "the commit of SAE "
                                    + commitPending.model().getSaeId()
                                    + " v"
                                    + commitPending.model().getVersion()
                                    + " timed out; it is retried before the next version, and the"
                                    + " version may yet appear",
                            e);
                // Any other failure ends the transaction, a pending commit's too: abort it.
                commitPending = null;
                try {
                    producer.abortTransaction();
                } catch (ProducerFencedException abort) {
                    throw new Fenced(abort);
                } catch (org.apache.kafka.common.KafkaException abort) {
                    abortPending = true;
                }
                throw new ExecutionException(e);
            }
        } else {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            p = send(v, model, r -> sent.add(producer.send(r)));
            for (Future<RecordMetadata> f : sent) f.get();
            producer.send(p.record());
            for (var r : retire) producer.send(r);
            producer.flush();
        }
        published.put(v.saeId(), p.model());
        return p.model();
    }

    /**
     * Finishes the transaction a previous call left: commits one whose commit timed out (its
     * version then becomes visible, late), or aborts one whose abort did.
     */
    private void finishPending() {
        VersionRecords.Publication late = commitPending;
        if (late != null) {
            commit(late);
            published.put(late.model().getSaeId(), late.model());
        }
        if (abortPending) {
            // The broker was away when the last transaction failed: finish aborting it.
            producer.abortTransaction();
            abortPending = false;
        }
    }

    /**
     * Commits; a commit that times out may still complete, and the client allows only retrying it,
     * so it is marked to be retried before the next version (and the timeout is rethrown).
     */
    private void commit(VersionRecords.Publication p) {
        try {
            producer.commitTransaction();
            commitPending = null;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            commitPending = p;
            throw e;
        }
    }

    /**
     * Streams the package's chunks to {@code send}; in a transaction the metadata follows at once
     * (the commit makes them visible together), otherwise the caller sends it once every chunk is
     * acknowledged.
     */
    private VersionRecords.Publication send(
            Version v, OnnxPackage model, Consumer<ProducerRecord<byte[], byte[]>> send) {
        VersionRecords.Publication p = records.chunks(v, model, send);
        if (transactional) send.accept(p.record());
        return p;
    }

    @Override
    public void close() {
        producer.close();
    }
}
