package dev.aenstream.avro;

/**
 * Which activation records an SAE takes: those of one source model and hook point. Either may be
 * null, meaning any; {@link #ANY} takes every record, as SAEs published before models carried a
 * binding do. Several hooks can share one activations topic, each encoded and trained by the SAEs
 * bound to it.
 */
public record SourceBinding(String sourceModel, String hookPoint) {
    public static final SourceBinding ANY = new SourceBinding(null, null);

    public SourceBinding {
        if (sourceModel != null && sourceModel.isBlank()) sourceModel = null;
        if (hookPoint != null && hookPoint.isBlank()) hookPoint = null;
    }

    /** The binding a model version carries. */
    public static SourceBinding of(SaeModel model) {
        return new SourceBinding(model.getSourceModel(), model.getHookPoint());
    }

    /** The binding to exactly the source of {@code batch}. */
    public static SourceBinding of(ActivationBatch batch) {
        return new SourceBinding(batch.getSourceModel(), batch.getHookPoint());
    }

    /** Whether an SAE bound so takes {@code batch}. */
    public boolean matches(ActivationBatch batch) {
        return accepts(batch.getSourceModel(), batch.getHookPoint());
    }

    /** Whether an SAE bound so reads the activations of {@code model} at {@code hook}. */
    public boolean accepts(String model, String hook) {
        return (sourceModel == null || sourceModel.equals(model))
                && (hookPoint == null || hookPoint.equals(hook));
    }

    public boolean isAny() {
        return sourceModel == null && hookPoint == null;
    }

    /** "model M, hook H", with "any" for an open side. */
    @Override
    public String toString() {
        return "model "
                + (sourceModel == null ? "any" : sourceModel)
                + ", hook "
                + (hookPoint == null ? "any" : hookPoint);
    }
}
