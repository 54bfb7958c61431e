package dev.aenstream.monitor;

import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Severity;
import dev.aenstream.avro.WatchHit;
import dev.aenstream.avro.WatchRule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Decides which of the encoders' watch facts become alerts. A token above an {@code
 * ACTIVATION_ABOVE} rule's threshold alerts {@code WATCH_ACTIVATION} once per document per the
 * rule's dedup window, and at most the rule's alerts per minute; what it holds back is counted and
 * reported on the next alert ({@code watch.suppressed}). A rule lineage could not follow to the
 * served version alerts {@code WATCH_RULE_LOST} once for the feature and version it names. Time is
 * the activations' broker time, so replays decide alike. The facts are built here too, so that each
 * alert type keeps one home.
 */
public final class WatchHits implements Processor<String, Alert, String, Alert> {
    static final String STORE = "watch-hits-state";

    /** Documents remembered per rule for the dedup window; the oldest are forgotten first. */
    static final int DOCUMENTS_KEPT = 10_000;

    private static final long MINUTE_MS = 60_000;

    static final int MAX_DOCUMENT_KEY = 256;

    private final WatchRules rules;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, byte[]> store;

    WatchHits(WatchRules rules) {
        this.rules = rules;
    }

    /** What the encoder saw: a token of {@code rule}'s feature above its threshold. */
    public static Alert activationFact(WatchRule rule, long version, int feature, WatchHit hit) {
        return AlertSink.alert(AlertType.WATCH_ACTIVATION, Severity.INFO, rule.getSaeId(), version)
                .setFeatureIds(List.of(feature))
                .setLabels(List.of(rule.getLabel()))
                .setValue(hit.getActivation() == null ? 0 : hit.getActivation())
                .setThreshold(rule.getThreshold())
                .setMessage("")
                .setWatch(hit)
                .setTimestampMs(0)
                .build();
    }

    /** What the encoder found: {@code rule}'s feature cannot be followed to {@code version}. */
    public static Alert lostFact(WatchRule rule, long version, String why) {
        return AlertSink.alert(
                        AlertType.WATCH_RULE_LOST, Severity.WARNING, rule.getSaeId(), version)
                .setFeatureIds(List.of(rule.getFeature()))
                .setLabels(List.of(rule.getLabel()))
                .setValue(rule.getVersion())
                .setMessage(
                        String.format(
                                "watch rule %s (feature %d of v%d%s) does not apply to v%d: %s;"
                                        + " set it again on v%d's ids",
                                rule.getRuleId(),
                                rule.getFeature(),
                                rule.getVersion(),
                                rule.getLabel().isEmpty() ? "" : ", \"" + rule.getLabel() + "\"",
                                version,
                                why,
                                version))
                .setWatch(
                        WatchHit.newBuilder()
                                .setRuleId(rule.getRuleId())
                                .setLabel(rule.getLabel())
                                .build())
                .setTimestampMs(0)
                .build();
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
        rules.init(context);
    }

    @Override
    public void process(Record<String, Alert> record) {
        Alert fact = record.value();
        if (fact.getWatch() == null) return;
        String ruleId = fact.getWatch().getRuleId();
        Alert alert =
                switch (fact.getAlertType()) {
                    case WATCH_RULE_LOST -> lost(ruleId, fact);
                    case WATCH_ACTIVATION -> activation(ruleId, fact, record.timestamp());
                    default -> null;
                };
        if (alert == null) return;
        alert.setTimestampMs(System.currentTimeMillis());
        context.forward(record.withValue(alert));
        MonitorMetrics.alert(alert.getAlertType());
        if (alert.getAlertType() == AlertType.WATCH_ACTIVATION)
            MonitorMetrics.watched(alert.getSaeId(), ruleId);
    }

    /** Once per rule as it stands (its feature and version): each encoder and version finds it. */
    private Alert lost(String ruleId, Alert fact) {
        String key = "lost|" + ruleId + "|" + fact.getFeatureIds() + "@" + (long) fact.getValue();
        if (store.get(key) != null) return null;
        store.put(key, new byte[] {1});
        return fact;
    }

    private Alert activation(String ruleId, Alert fact, long timeMs) {
        WatchRule rule = rules.byId(ruleId);
        if (rule == null) return null; // removed since the encoder saw it
        String key = "hits|" + ruleId;
        Hits hits = Hits.fromBytes(store.get(key));
        WatchHit hit = fact.getWatch();
        String document =
                hit.getDocumentId() != null
                        ? hit.getDocumentId()
                        : String.valueOf(hit.getProducerId());
        // Ids come from producers: a bounded key keeps the state's size bounded too.
        if (document.length() > MAX_DOCUMENT_KEY)
            document = document.substring(0, MAX_DOCUMENT_KEY);
        hits.forget(timeMs - rule.getDedupWindowMs());
        hits.suppressed += hit.getSuppressed();
        Alert out = null;
        if (hits.documents.containsKey(document)) hits.suppressed++;
        else {
            if (timeMs / MINUTE_MS != hits.minute) {
                hits.minute = timeMs / MINUTE_MS;
                hits.sentThisMinute = 0;
            }
            if (hits.sentThisMinute >= rule.getMaxAlertsPerMinute()) hits.suppressed++;
            else {
                hits.sentThisMinute++;
                hits.documents.put(document, timeMs);
                while (hits.documents.size() > DOCUMENTS_KEPT)
                    hits.documents.remove(hits.documents.keySet().iterator().next());
                hit.setSuppressed(hits.suppressed);
                hits.suppressed = 0;
                out = fact;
                out.setMessage(message(rule, fact, hit));
            }
        }
        store.put(key, hits.toBytes());
        return out;
    }

    private static String message(WatchRule rule, Alert fact, WatchHit hit) {
        return String.format(
                "%s: feature %d of %s v%d fired %.3g (above %.3g) on %s%s%s%s",
                rule.getLabel().isEmpty() ? "watch rule " + rule.getRuleId() : rule.getLabel(),
                fact.getFeatureIds().get(0),
                fact.getSaeId(),
                fact.getVersion(),
                fact.getValue(),
                fact.getThreshold(),
                hit.getDocumentId() == null ? "a token" : "document " + hit.getDocumentId(),
                hit.getText() == null ? "" : ": \"" + hit.getText() + "\"",
                hit.getSourceModel() == null
                        ? ""
                        : " (" + hit.getSourceModel() + " at " + hit.getHookPoint() + ")",
                hit.getSuppressed() == 0
                        ? ""
                        : "; " + hit.getSuppressed() + " more hits held back since the last alert");
    }

    /** A rule's recent alerts: per document the time of its last, and this minute's count. */
    private static final class Hits {
        final Map<String, Long> documents = new LinkedHashMap<>();
        long minute = -1;
        int sentThisMinute;
        long suppressed;

        void forget(long before) {
            documents.values().removeIf(t -> t < before);
        }

        byte[] toBytes() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeLong(minute);
                out.writeInt(sentThisMinute);
                out.writeLong(suppressed);
                out.writeInt(documents.size());
                for (Map.Entry<String, Long> e : documents.entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeLong(e.getValue());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        static Hits fromBytes(byte[] bytes) {
            Hits h = new Hits();
            if (bytes == null) return h;
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                h.minute = in.readLong();
                h.sentThisMinute = in.readInt();
                h.suppressed = in.readLong();
                int n = in.readInt();
                for (int i = 0; i < n; i++) h.documents.put(in.readUTF(), in.readLong());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return h;
        }
    }
}
