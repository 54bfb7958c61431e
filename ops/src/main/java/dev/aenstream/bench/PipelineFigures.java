package dev.aenstream.bench;

import java.util.Map;

/** What one shape measured, in rows (tokens) per second. */
public record PipelineFigures(
        PipelineBench.Shape shape,
        double kafka,
        double encode,
        double matmul,
        double e2e,
        double train,
        double trainMatmul,
        int trainBatch,
        Map<String, Object> e2eProfile) {
    public double harmonicLimit() {
        return 1 / (1 / kafka + 1 / encode);
    }

    public double e2eRatio() {
        return e2e / harmonicLimit();
    }
}
