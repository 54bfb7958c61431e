package dev.aenstream.node;

import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.SourceBinding;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.online.KafkaActivationSource;
import dev.aenstream.online.KafkaTrainerOutputs;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.online.SaeDefinition;
import dev.aenstream.online.TrainerManifest;
import dev.aenstream.online.TrainingLoop;
import dev.aenstream.online.VersionSink;
import dev.aenstream.sae.eval.SampleGeometry;
import dev.aenstream.sae.onnx.OnnxPackage;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.train.Checkpoints;
import dev.aenstream.sae.train.TrainConfig;
import dev.aenstream.sae.train.Trainer;
import dev.aenstream.sae.train.TrainingMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The online trainer on Kafka: a {@link TrainingLoop} wired to the activations topic, the models
 * topic (versions signed and published in transactions), and the trainer-metrics, dlq and alerts
 * topics; its checkpoints hold the consumer positions and the rows read but not yet trained on, so
 * a resumed run trains on every row exactly once.
 */
public final class TrainerNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerNode.class);

    /**
     * Appended to the group id to name the transactions versions are published in: a second trainer
     * of the same group fences the first.
     */
    public static final String TRANSACTIONAL_SUFFIX = "-models";

    private final TrainingLoop loop;
    private final List<Trainer> trainers;
    private final KafkaActivationSource source;
    private final VersionSink versions;
    private final KafkaTrainerOutputs outputs;

    private TrainerNode(
            TrainingLoop loop,
            List<Trainer> trainers,
            KafkaActivationSource source,
            VersionSink versions,
            KafkaTrainerOutputs outputs) {
        this.loop = loop;
        this.trainers = trainers;
        this.source = source;
        this.versions = versions;
        this.outputs = outputs;
    }

    /**
     * Opens the trainer. With {@code resume}, each SAE continues from the trainer's last checkpoint
     * (its own configuration wins); SAEs the checkpoint does not know start fresh.
     */
    public static TrainerNode open(
            KafkaConnection connection,
            OnlineTrainerConfig config,
            List<SaeDefinition> saes,
            boolean resume,
            Device device,
            int threads)
            throws Exception {
        if (saes.isEmpty()) throw new IllegalArgumentException("no SAE to train");
        TrainerManifest manifest = null;
        if (resume) {
            if (config.checkpointDir() == null)
                throw new IllegalArgumentException("resuming needs a checkpoint directory");
            manifest = TrainerManifest.read(config.checkpointDir());
            if (manifest == null)
                LOG.info("no trainer checkpoint in {}: starting fresh", config.checkpointDir());
        }
        List<Trainer> trainers = new ArrayList<>();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            for (SaeDefinition sae : saes)
                trainers.add(trainer(sae, manifest, config, device, threads));
            // A trainer that signs believes only its own versions' numbers and sizes.
            Map<String, SaeModel> newest =
                    ModelRecords.newest(
                            ModelRecords.versions(connection, config.topics().models()),
                            config.signingKeys() == null ? null : config.signingKeys().getPublic());
            KafkaActivationSource source =
                    new KafkaActivationSource(
                            connection,
                            config.topics().activations(),
                            config.get(OnlineTrainerConfig.GROUP_ID),
                            manifest == null ? Map.of() : manifest.positions());
            opened.add(source);
            VersionSink versions = versionSink(connection, config, trainers, newest);
            opened.add(versions);
            KafkaTrainerOutputs outputs = new KafkaTrainerOutputs(connection, config.topics());
            opened.add(outputs);
            Map<String, Long> newestVersions = new HashMap<>();
            newest.forEach((id, m) -> newestVersions.put(id, m.getVersion()));
            TrainingLoop loop =
                    new TrainingLoop(
                            config, trainers, source, versions, outputs, manifest, newestVersions);
            return new TrainerNode(loop, trainers, source, versions, outputs);
        } catch (Exception e) {
            for (AutoCloseable c : opened) c.close();
            for (Trainer t : trainers) t.close();
            throw e;
        }
    }

    /** One SAE's trainer: from the checkpoint where it has one, else fresh. */
    private static Trainer trainer(
            SaeDefinition sae,
            TrainerManifest manifest,
            OnlineTrainerConfig config,
            Device device,
            int threads)
            throws Exception {
        String file = manifest == null ? null : manifest.saes().get(sae.saeId());
        if (file == null) {
            if (manifest != null)
                LOG.warn("SAE {} is not in the checkpoint: it starts fresh", sae.saeId());
            return Trainer.start(sae.saeId(), sae.config(), device, threads);
        }
        Checkpoints.Checkpoint cp = Checkpoints.load(config.checkpointDir().resolve(file));
        LOG.info(
                "SAE {} resumes at step {} ({} tokens)",
                sae.saeId(),
                cp.state().step(),
                cp.tokens());
        return Trainer.resume(sae.saeId(), cp, device, threads);
    }

    /**
     * The models topic as the loop's version sink: signed versions in transactions of the group's
     * own id; versions published before a restart are retired by the first new one.
     */
    private static VersionSink versionSink(
            KafkaConnection connection,
            OnlineTrainerConfig config,
            List<Trainer> trainers,
            Map<String, SaeModel> newestOnTopic) {
        ModelPublisher models =
                new ModelPublisher(
                        connection,
                        config.topics().models(),
                        config.signingKeys(),
                        config.get(OnlineTrainerConfig.GROUP_ID) + TRANSACTIONAL_SUFFIX);
        for (Trainer t : trainers)
            if (newestOnTopic.containsKey(t.saeId()))
                models.replacing(newestOnTopic.get(t.saeId()));
        return new VersionSink() {
            @Override
            public void publish(ModelPublisher.Version version, OnnxPackage model)
                    throws Unavailable, ModelPublisher.Fenced, InterruptedException {
                try {
                    models.publish(version, model);
                } catch (ExecutionException e) {
                    throw new Unavailable(e.getCause() == null ? e : e.getCause());
                } catch (KafkaException e) {
                    throw new Unavailable(e);
                }
            }

            @Override
            public void close() {
                models.close();
            }
        };
    }

    /**
     * Trains until {@code stop} says so or, when configured, the topic stays idle; ends with a
     * checkpoint.
     */
    public void run(BooleanSupplier stop) throws Exception {
        loop.run(stop);
    }

    /** Figures of every SAE after its latest step. */
    public List<TrainingMetrics> metrics() {
        return loop.metrics();
    }

    /** The current configuration of one SAE (matched sparsity moves its lambda1). */
    public TrainConfig config(String saeId) {
        return loop.config(saeId);
    }

    /** The latest version published per SAE id. */
    public Map<String, Long> publishedVersions() {
        return loop.publishedVersions();
    }

    /** Per SAE id, its steps so far on the sparse path and on the dense graph. */
    public Map<String, long[]> stepsByPath() {
        return loop.stepsByPath();
    }

    /** The latest measurements per SAE id (shrinkage, coherence, active-set geometry). */
    public Map<String, SampleGeometry.Figures> geometry() {
        return loop.geometry();
    }

    public long rowsRead() {
        return loop.rowsRead();
    }

    /** Records passed over because they came from another model or hook than the SAEs take. */
    public long recordsMismatched() {
        return loop.recordsMismatched();
    }

    /** The model and hook the SAEs learn from; open sides until the first record came. */
    public SourceBinding source() {
        return loop.source();
    }

    public long batchesTaken() {
        return loop.batchesTaken();
    }

    public long skippedRecords() {
        return loop.skippedRecords();
    }

    /** Rows set aside (NaN or Inf) and sent to the dead letters instead of trained on. */
    public long rowsDeadLettered() {
        return loop.rowsDeadLettered();
    }

    /** See {@link TrainingLoop#rowChecksum()}. */
    public long rowChecksum() {
        return loop.rowChecksum();
    }

    /** Activation records retention removed before the trainer read them. */
    public long recordsLostToRetention() {
        return loop.recordsLostToRetention();
    }

    /** Activation records jumped over under --lag-policy skip-to-latest. */
    public long recordsSkippedForLag() {
        return loop.recordsSkippedForLag();
    }

    /** Publications that failed (the broker away) and were tried again later. */
    public long publishFailures() {
        return loop.publishFailures();
    }

    /** Checkpoints that could not be written (a full disk); the previous one stayed. */
    public long checkpointFailures() {
        return loop.checkpointFailures();
    }

    @Override
    public void close() throws Exception {
        source.close();
        versions.close();
        outputs.close();
        for (Trainer t : trainers) t.close();
    }
}
