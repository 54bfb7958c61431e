package dev.aenstream.bench;

import java.util.Map;

/**
 * One shard's figures: a follower serving only its slice of the version, as one of {@code S}
 * machines would (they run one after the other here).
 */
public record ShardFigures(
        String shard,
        int features,
        double loadS,
        long rssBeforeBytes,
        long loadPeakRssBytes,
        double encodeRowsPerS,
        double matmulRowsPerS) {
    public double encodeRatio() {
        return encodeRowsPerS / matmulRowsPerS;
    }

    Map<String, Object> summary() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("shard", shard);
        out.put("features", features);
        out.put("load_s", loadS);
        out.put("rss_before_bytes", rssBeforeBytes);
        out.put("load_peak_rss_bytes", loadPeakRssBytes);
        // What the shard itself added: the process held the whole version before.
        out.put("load_added_rss_bytes", loadPeakRssBytes - rssBeforeBytes);
        out.put("encode_rows_per_s", encodeRowsPerS);
        out.put("matmul_rows_per_s", matmulRowsPerS);
        out.put("encode_ratio", encodeRatio());
        return out;
    }
}
