package dev.aenstream.bench;

import dev.aenstream.sae.onnx.WeightPrecision;
import dev.aenstream.sae.runtime.Device;

/**
 * What {@link ScaleBench} runs; {@code swap}: then publish a second version while the first serves,
 * and measure the swap; {@code shards} above 1: then serve the newest version in that many shards,
 * one after the other, each checked and timed against the product of its slice; {@code
 * application}: also encode through the encoder's Kafka Streams application with statistics and
 * contexts on.
 */
public record ScaleConfig(
        int kMax,
        int rowsPerCall,
        double seconds,
        Device device,
        int ortThreads,
        long seed,
        boolean swap,
        WeightPrecision weights,
        int shards,
        boolean application) {
    public ScaleConfig {
        if (shards < 1) throw new IllegalArgumentException("shards must be at least 1");
    }
}
