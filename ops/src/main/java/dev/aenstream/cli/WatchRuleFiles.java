package dev.aenstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.aenstream.avro.WatchCondition;
import dev.aenstream.avro.WatchRule;
import dev.aenstream.monitor.WatchRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Watch rules read from files: a rules file (a JSON array of rules, the fields of {@code aen watch
 * set}) and a labels file (Neuronpedia-style explanations JSON, or CSV of feature and label). Every
 * rule is checked before any is published: a file with one bad rule publishes none, and the error
 * names the entry and the field.
 */
final class WatchRuleFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RULE_FIELDS =
            Set.of(
                    "id",
                    "saeId",
                    "feature",
                    "version",
                    "label",
                    "condition",
                    "threshold",
                    "windowTokens",
                    "dedupWindowMs",
                    "maxAlertsPerMinute");

    private WatchRuleFiles() {}

    /** A rule's id unless one is given: one rule per SAE, feature, version and condition. */
    static String defaultId(String saeId, int feature, long version, WatchCondition condition) {
        return saeId
                + ":"
                + feature
                + "@v"
                + version
                + ":"
                + condition.name().toLowerCase(Locale.ROOT);
    }

    /** Builds a rule from its parts, with defaults where null, and checks it. */
    static WatchRule rule(
            String id,
            String saeId,
            Integer feature,
            Long version,
            String label,
            WatchCondition condition,
            Double threshold,
            Long windowTokens,
            Long dedupWindowMs,
            Integer maxAlertsPerMinute,
            long nowMs) {
        if (saeId == null) throw new IllegalArgumentException("a rule needs saeId");
        if (feature == null) throw new IllegalArgumentException("a rule needs feature");
        long v = version == null ? 0 : version;
        WatchRule.Builder b =
                WatchRule.newBuilder()
                        .setRuleId(id != null ? id : defaultId(saeId, feature, v, condition))
                        .setSaeId(saeId)
                        .setFeature(feature)
                        .setVersion(v)
                        .setLabel(label == null ? "" : label)
                        .setCondition(condition)
                        .setThreshold(threshold == null ? 0 : threshold)
                        .setUpdatedMs(nowMs);
        if (windowTokens != null) b.setWindowTokens(windowTokens);
        if (dedupWindowMs != null) b.setDedupWindowMs(dedupWindowMs);
        if (maxAlertsPerMinute != null) b.setMaxAlertsPerMinute(maxAlertsPerMinute);
        WatchRule r = b.build();
        String misfit = WatchRules.misfit(r);
        if (misfit != null) throw new IllegalArgumentException(misfit);
        return r;
    }

    /** The condition a rules file or a flag names, in any case. */
    static WatchCondition condition(String name) {
        for (WatchCondition c : WatchCondition.values())
            if (c != WatchCondition.UNKNOWN && c.name().equalsIgnoreCase(name.replace('-', '_')))
                return c;
        throw new IllegalArgumentException(
                "condition must be label, activation_above, density_above or density_below, got '"
                        + name
                        + "'");
    }

    /** The rules of a JSON rules file, each checked; an error names the entry. */
    static List<WatchRule> rules(Path file, long nowMs) throws IOException {
        JsonNode root = JSON.readTree(Files.readString(file));
        if (root == null || !root.isArray())
            throw new IllegalArgumentException(file + ": a rules file is a JSON array of rules");
        List<WatchRule> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode r = root.get(i);
            try {
                if (!r.isObject()) throw new IllegalArgumentException("not an object");
                r.fieldNames()
                        .forEachRemaining(
                                f -> {
                                    if (!RULE_FIELDS.contains(f))
                                        throw new IllegalArgumentException(
                                                "unknown field '"
                                                        + f
                                                        + "'; rules have "
                                                        + RULE_FIELDS);
                                });
                out.add(
                        rule(
                                text(r, "id"),
                                text(r, "saeId"),
                                r.has("feature") ? whole(r, "feature").intValue() : null,
                                r.has("version") ? whole(r, "version") : null,
                                text(r, "label"),
                                condition(r.has("condition") ? text(r, "condition") : "label"),
                                r.has("threshold") ? number(r, "threshold") : null,
                                r.has("windowTokens") ? whole(r, "windowTokens") : null,
                                r.has("dedupWindowMs") ? whole(r, "dedupWindowMs") : null,
                                r.has("maxAlertsPerMinute")
                                        ? whole(r, "maxAlertsPerMinute").intValue()
                                        : null,
                                nowMs));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        file + ": rule " + (i + 1) + " of " + root.size() + ": " + e.getMessage(),
                        e);
            }
        }
        return out;
    }

    /**
     * LABEL rules from a labels file: Neuronpedia-style explanations (a JSON array, or an object
     * with "explanations", of objects with "index" and "description") or CSV rows of feature and
     * label (a header row is skipped).
     */
    static List<WatchRule> labels(Path file, String saeId, long version, long nowMs)
            throws IOException {
        String text = Files.readString(file);
        List<WatchRule> out = new ArrayList<>();
        String trimmed = text.stripLeading();
        if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
            JsonNode root = JSON.readTree(text);
            JsonNode list = root.isArray() ? root : root.get("explanations");
            if (list == null || !list.isArray())
                throw new IllegalArgumentException(
                        file
                                + ": explanations JSON is an array, or an object with"
                                + " \"explanations\"");
            for (int i = 0; i < list.size(); i++) {
                JsonNode e = list.get(i);
                try {
                    JsonNode index = e.get("index");
                    if (index == null) throw new IllegalArgumentException("no \"index\"");
                    int feature = Integer.parseInt(index.asText().trim());
                    String label =
                            e.has("description") ? e.get("description").asText() : text(e, "label");
                    out.add(label(saeId, feature, version, label, nowMs));
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(
                            file + ": explanation " + (i + 1) + ": " + ex.getMessage(), ex);
                }
            }
            return out;
        }
        CsvMapper csv = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
        try (MappingIterator<List<String>> rows =
                csv.readerForListOf(String.class).readValues(text)) {
            int line = 0;
            while (rows.hasNext()) {
                List<String> row = rows.next();
                line++;
                if (row.isEmpty() || (row.size() == 1 && row.get(0).isBlank())) continue;
                if (line == 1 && !row.get(0).trim().matches("\\d+")) continue; // a header
                try {
                    if (row.size() < 2)
                        throw new IllegalArgumentException("a row is feature,label");
                    out.add(
                            label(
                                    saeId,
                                    Integer.parseInt(row.get(0).trim()),
                                    version,
                                    row.get(1),
                                    nowMs));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            file + ": line " + line + ": " + e.getMessage(), e);
                }
            }
        }
        return out;
    }

    private static WatchRule label(
            String saeId, int feature, long version, String label, long nowMs) {
        return rule(
                null,
                saeId,
                feature,
                version,
                label,
                WatchCondition.LABEL,
                null,
                null,
                null,
                null,
                nowMs);
    }

    private static String text(JsonNode r, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new IllegalArgumentException(field + " must be a string");
        return v.asText();
    }

    private static Long whole(JsonNode r, String field) {
        JsonNode v = r.get(field);
        if (!v.canConvertToLong() || !v.isIntegralNumber())
            throw new IllegalArgumentException(field + " must be a whole number, got " + v);
        return v.asLong();
    }

    private static Double number(JsonNode r, String field) {
        JsonNode v = r.get(field);
        if (!v.isNumber())
            throw new IllegalArgumentException(field + " must be a number, got " + v);
        return v.asDouble();
    }
}
