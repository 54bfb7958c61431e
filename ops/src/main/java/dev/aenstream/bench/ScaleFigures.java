package dev.aenstream.bench;

import dev.aenstream.sae.onnx.WeightPrecision;
import java.util.List;
import java.util.Map;

/** What one run of {@link ScaleBench} measured. */
public record ScaleFigures(
        int n,
        int dSae,
        long modelBytes,
        long largestTensorBytes,
        double publishS,
        double loadS,
        long baselineRssBytes,
        long publishPeakRssBytes,
        long loadPeakRssBytes,
        long peakRssBytes,
        int checkedRows,
        double maxCodeError,
        int rowsPerCall,
        double encodeRowsPerS,
        double matmulRowsPerS,
        ApplicationRun.Figures application,
        String device,
        WeightPrecision weights,
        double swapS,
        long swapPeakRssBytes,
        List<ShardFigures> shards,
        double shardedMaxCodeError) {
    public double encodeRatio() {
        return encodeRowsPerS / matmulRowsPerS;
    }

    /** The encode application's settled rate against the bare product's. */
    public double applicationRatio() {
        return application == null ? Double.NaN : application.rowsPerS() / matmulRowsPerS;
    }

    /** The figures by the names of the summary contract. */
    public Map<String, Object> summary() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("n", n);
        out.put("d_sae", dSae);
        out.put("model_bytes", modelBytes);
        out.put("largest_tensor_bytes", largestTensorBytes);
        out.put("publish_s", publishS);
        out.put("load_s", loadS);
        out.put("baseline_rss_bytes", baselineRssBytes);
        out.put("publish_peak_rss_bytes", publishPeakRssBytes);
        out.put("load_peak_rss_bytes", loadPeakRssBytes);
        out.put("peak_rss_bytes", peakRssBytes);
        out.put("checked_rows", checkedRows);
        out.put("max_code_error", maxCodeError);
        out.put("rows_per_call", rowsPerCall);
        out.put("encode_rows_per_s", encodeRowsPerS);
        out.put("matmul_rows_per_s", matmulRowsPerS);
        out.put("encode_ratio", encodeRatio());
        if (application != null) {
            out.put("application", application.summary());
            out.put("application_ratio", applicationRatio());
        }
        out.put("device", device);
        out.put("weights", weights.label());
        if (swapS > 0) {
            out.put("swap_s", swapS);
            out.put("swap_peak_rss_bytes", swapPeakRssBytes);
        }
        if (!shards.isEmpty()) {
            out.put("shard_count", shards.size());
            out.put("sharded_max_code_error", shardedMaxCodeError);
            out.put("shards", shards.stream().map(ShardFigures::summary).toList());
        }
        return out;
    }
}
