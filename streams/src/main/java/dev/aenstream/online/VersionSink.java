package dev.aenstream.online;

import dev.aenstream.models.ModelPublisher;
import dev.aenstream.sae.onnx.OnnxPackage;

/** Where the training loop publishes versions: the models topic in production, a list in a test. */
public interface VersionSink extends AutoCloseable {
    /**
     * Publishes one version whole, or throws: {@link Unavailable} when it may work later (the loop
     * trains on and tries at the next interval), {@link ModelPublisher.Fenced} when another trainer
     * took over (the loop stops).
     */
    void publish(ModelPublisher.Version version, OnnxPackage model)
            throws Unavailable, ModelPublisher.Fenced, InterruptedException;

    @Override
    void close();

    /** The version could not be published now; its cause says why. */
    final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unavailable(Throwable cause) {
            super(cause.toString(), cause);
        }
    }
}
