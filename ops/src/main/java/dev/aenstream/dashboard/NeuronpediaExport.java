package dev.aenstream.dashboard;

import dev.aenstream.avro.AvroSerde;
import dev.aenstream.avro.FeatureContext;
import dev.aenstream.avro.FeatureContexts;
import dev.aenstream.avro.FeatureStats;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.SaeModel;
import dev.aenstream.avro.Topics;
import dev.aenstream.models.ModelPull;
import dev.aenstream.models.ModelRecords;
import dev.aenstream.models.ModelTrust;
import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.monitor.ShardedWindows;
import dev.aenstream.monitor.TopContexts;
import dev.aenstream.topics.SkippedRecords;
import dev.aenstream.topics.TopicSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature pages of one SAE version as a Neuronpedia dashboard batch (the JSON SAEDashboard
 * writes for Neuronpedia's import): per feature its top activations, its activation histogram and
 * how often it fires, from the feature-contexts, feature-stats and models topics.
 *
 * <p>What aen-stream does not have is left empty rather than made up: logits (it never sees the
 * unembedding), neuron alignment and correlations. A context is text, not the model's tokens: each
 * activation is the text before the token, the token, and the text after, with the feature's value
 * on the token and 0 on the rest.
 */
public final class NeuronpediaExport {
    private static final Logger LOG = LoggerFactory.getLogger(NeuronpediaExport.class);

    private NeuronpediaExport() {}

    /**
     * The batch of version {@code version} ({@link ModelPull#NEWEST}: the newest with contexts) of
     * {@code saeId}.
     *
     * @param modelId Neuronpedia's model id; null takes the version's source model
     * @param layer Neuronpedia's layer number of the hook
     * @param saeSet Neuronpedia's name for the set the SAE belongs to
     * @throws IllegalArgumentException when no contexts of such a version are on the topic, naming
     *     the versions there are
     */
    public static Map<String, Object> read(
            KafkaConnection connection,
            Topics topics,
            String saeId,
            long version,
            String modelId,
            int layer,
            String saeSet,
            ModelTrust trust) {
        AvroSerde<FeatureContexts> contextsSerde = new AvroSerde<>(FeatureContexts.class);
        // Latest record per key: the topic is compacted, but not yet compacted records repeat.
        Map<String, FeatureContexts> latest = new TreeMap<>();
        String prefix = saeId + "/b";
        SkippedRecords skipped =
                new SkippedRecords(topics.featureContexts(), FeatureContexts.class);
        TopicSnapshot.forEach(
                connection,
                topics.featureContexts(),
                r -> {
                    if (r.value() == null || r.key() == null) return;
                    String key = new String(r.key(), StandardCharsets.UTF_8);
                    // A shard writes its own keys (saeId#i/S/b...).
                    if (!key.startsWith(prefix) && !key.startsWith(saeId + "#")) return;
                    FeatureContexts c = skipped.decode(contextsSerde, r);
                    if (c != null) latest.put(key, c);
                });
        skipped.report(LOG::warn);
        // Per version its blocks, the shards' records of one block merged.
        TreeMap<Long, Map<Integer, FeatureContexts>> byVersion = new TreeMap<>();
        for (FeatureContexts c : latest.values())
            if (c.getSaeId().equals(saeId))
                byVersion
                        .computeIfAbsent(c.getVersion(), v -> new TreeMap<>())
                        .merge(c.getBlock(), c, TopContexts::merge);
        if (byVersion.isEmpty() || (version != ModelPull.NEWEST && !byVersion.containsKey(version)))
            throw new IllegalArgumentException(
                    byVersion.isEmpty()
                            ? "no feature contexts of SAE "
                                    + saeId
                                    + " on "
                                    + topics.featureContexts()
                                    + " (are the encoders keeping them? --top-contexts)"
                            : "no feature contexts of version "
                                    + version
                                    + " of SAE "
                                    + saeId
                                    + "; the topic keeps the newest version's only, and holds "
                                    + byVersion.keySet());
        long v = version == ModelPull.NEWEST ? byVersion.lastKey() : version;

        Totals totals = totals(connection, topics, saeId, v);
        SaeModel model = model(connection, topics, saeId, v, trust);
        Map<Integer, List<FeatureContext>> byFeature = new TreeMap<>();
        for (FeatureContexts block : byVersion.get(v).values())
            for (FeatureContext c : block.getContexts())
                byFeature.computeIfAbsent(c.getFeature(), j -> new ArrayList<>()).add(c);

        int d = totals != null ? totals.fires().length : model != null ? model.getD() : 0;
        for (int j : byFeature.keySet()) d = Math.max(d, j + 1);
        List<Object> features = new ArrayList<>(d);
        for (int j = 0; j < d; j++)
            features.add(feature(j, byFeature.getOrDefault(j, List.of()), totals, model));
        Map<String, Object> batch = new LinkedHashMap<>();
        if (modelId == null && model != null) modelId = model.getSourceModel();
        if (modelId == null)
            throw new IllegalArgumentException(
                    "version "
                            + v
                            + " of SAE "
                            + saeId
                            + " names no source model (it is not on the models topic, or was"
                            + " published unbound): give --model-id");
        batch.put("model_id", modelId);
        batch.put("layer", layer);
        batch.put("sae_set", saeSet);
        batch.put("features", features);
        return batch;
    }

    private static Map<String, Object> feature(
            int j, List<FeatureContext> contexts, Totals totals, SaeModel model) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("feature_index", j);
        for (String empty :
                List.of(
                        "neuron_alignment_indices",
                        "neuron_alignment_values",
                        "neuron_alignment_l1",
                        "correlated_neurons_indices",
                        "correlated_neurons_l1",
                        "correlated_neurons_pearson",
                        "correlated_features_indices",
                        "correlated_features_l1",
                        "correlated_features_pearson",
                        "neg_str",
                        "neg_values",
                        "pos_str",
                        "pos_values")) f.put(empty, List.of());
        double frac = 0;
        List<Double> barValues = new ArrayList<>();
        List<Long> barHeights = new ArrayList<>();
        if (totals != null && j < totals.fires().length && totals.tokens() > 0) {
            frac = (double) totals.fires()[j] / totals.tokens();
            int bins = FeatureAccumulator.HISTOGRAM_BINS;
            for (int b = 0; b < bins; b++) {
                long h = totals.histogram()[j * bins + b];
                if (h == 0) continue;
                // A bin's geometric middle stands for its values.
                double lo =
                        Math.max(
                                FeatureAccumulator.binStart(b), FeatureAccumulator.binStart(1) / 2);
                barValues.add(lo * Math.sqrt(2));
                barHeights.add(h);
            }
        }
        f.put("frac_nonzero", frac);
        f.put("freq_hist_data_bar_values", barValues);
        f.put("freq_hist_data_bar_heights", barHeights);
        f.put("logits_hist_data_bar_heights", List.of());
        f.put("logits_hist_data_bar_values", List.of());
        f.put("n_prompts_total", totals == null ? 0 : totals.tokens());
        f.put("n_tokens_in_prompt", 1);
        f.put(
                "dataset",
                model == null
                        ? ""
                        : (model.getSourceModel() == null ? "" : model.getSourceModel())
                                + (model.getHookPoint() == null ? "" : " " + model.getHookPoint()));
        f.put("decoder_weights_dist", List.of());
        List<Object> activations = new ArrayList<>();
        for (FeatureContext c : contexts) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("bin_min", -1);
            a.put("bin_max", -1);
            a.put("bin_contains", -1);
            List<String> tokens = new ArrayList<>();
            List<Float> values = new ArrayList<>();
            if (c.getText() == null) {
                tokens.add(
                        c.getTokenId() != null
                                ? "<token " + c.getTokenId() + ">"
                                : "<row " + c.getRow() + ">");
                values.add(c.getValue());
            } else {
                String text = c.getText();
                if (c.getHighlightStart() > 0) {
                    tokens.add(text.substring(0, c.getHighlightStart()));
                    values.add(0f);
                }
                tokens.add(text.substring(c.getHighlightStart(), c.getHighlightEnd()));
                values.add(c.getValue());
                if (c.getHighlightEnd() < text.length()) {
                    tokens.add(text.substring(c.getHighlightEnd()));
                    values.add(0f);
                }
            }
            a.put("tokens", tokens);
            a.put("values", values);
            activations.add(a);
        }
        f.put("activations", activations);
        return f;
    }

    /** A version's fire counts, tokens and activation histogram over every window. */
    private record Totals(long[] fires, long tokens, long[] histogram) {}

    private static Totals totals(KafkaConnection connection, Topics topics, String saeId, long v) {
        AvroSerde<FeatureStats> serde = new AvroSerde<>(FeatureStats.class);
        ShardedWindows windows = new ShardedWindows();
        // Latest record per window: merged windows repeat until they close.
        Map<String, FeatureStats> latest = new TreeMap<>();
        SkippedRecords skipped = new SkippedRecords(topics.featureStats(), FeatureStats.class);
        TopicSnapshot.forEach(
                connection,
                topics.featureStats(),
                r -> {
                    if (r.value() == null || r.key() == null) return;
                    FeatureStats s = skipped.decode(serde, r);
                    if (s == null || !s.getSaeId().equals(saeId) || s.getVersion() != v) return;
                    String misfit = FeatureAccumulator.misfit(s);
                    if (misfit != null) skipped.skip(r, misfit);
                    else latest.put(new String(r.key(), StandardCharsets.UTF_8), s);
                });
        skipped.report(LOG::warn);
        long[] fires = null;
        long[] histogram = null;
        long tokens = 0;
        for (FeatureStats part : latest.values()) {
            FeatureStats s = windows.add(part).orElse(null);
            if (s == null) continue;
            long[] f = FeatureAccumulator.fireCounts(s);
            long[] h = FeatureAccumulator.histogram(s);
            if (fires == null) {
                fires = f;
                histogram = h;
            } else if (fires.length == f.length) {
                for (int j = 0; j < f.length; j++) fires[j] += f[j];
                for (int i = 0; i < h.length; i++) histogram[i] += h[i];
            } else {
                continue;
            }
            tokens += s.getTokens();
        }
        return fires == null ? null : new Totals(fires, tokens, histogram);
    }

    /**
     * The metadata of version {@code v}, or null when the topic has none.
     *
     * @throws IllegalArgumentException when it is there but {@code trust} does not take it
     */
    private static SaeModel model(
            KafkaConnection connection, Topics topics, String saeId, long v, ModelTrust trust) {
        AvroSerde<SaeModel> serde = new AvroSerde<>(SaeModel.class);
        SaeModel[] found = {null};
        SkippedRecords skipped = new SkippedRecords(topics.models(), SaeModel.class);
        TopicSnapshot.forEach(
                connection,
                topics.models(),
                r -> {
                    if (r.value() == null
                            || !ModelRecords.MODEL.equals(ModelRecords.type(r.headers()))) return;
                    SaeModel m = skipped.decode(serde, r);
                    if (m != null && m.getSaeId().equals(saeId) && m.getVersion() == v)
                        found[0] = m;
                });
        skipped.report(LOG::warn);
        String distrusted = found[0] == null ? null : trust.signatureRefusal(found[0]);
        if (distrusted != null)
            throw new IllegalArgumentException(
                    "SAE " + saeId + " v" + v + " on " + topics.models() + ": " + distrusted);
        return found[0];
    }
}
